package cli

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/api/v1alpha1"
)

// stdinName names standard input in messages ("stdin: document 2: ...").
const stdinName = "stdin"

// source is one manifest file read from -f.
type source struct {
	name string // as shown in messages: the path as given, joined with entries of a folder
	data []byte
}

// fileFlags are -f and -R, shared by apply, delete, diff and validate.
type fileFlags struct {
	files     []string
	recursive bool
}

func (f *fileFlags) register(c *cobra.Command, verb string) {
	c.Flags().StringArrayVarP(&f.files, "filename", "f", nil,
		"file, folder or - (standard input) to "+verb+"; repeatable. A folder takes its *.yaml, *.yml and *.json files")
	c.Flags().BoolVarP(&f.recursive, "recursive", "R", false, "also take the files of sub-folders of a folder given with -f")
}

func (f *fileFlags) require(c *cobra.Command) error {
	if len(f.files) == 0 {
		return usagef("%s needs -f FILE|DIR|-", c.CommandPath())
	}
	if n := countDash(f.files); n > 1 {
		return usagef("-f - (standard input) may be given only once")
	}
	return nil
}

func countDash(files []string) int {
	n := 0
	for _, f := range files {
		if f == "-" {
			n++
		}
	}
	return n
}

// readSources expands -f arguments into files: "-" is standard input, a file
// is taken whatever its name, a folder contributes its manifest files (by
// extension; hidden and editor temporary files skipped, the same rules as
// gatewayd's folder store) in name order, and its sub-folders only when
// recursive. note reports skipped sub-folders, since without -R they would
// silently be missing from an apply --prune.
func readSources(paths []string, recursive bool, stdin io.Reader, note func(string)) ([]source, error) {
	var out []source
	for _, p := range paths {
		if p == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("read standard input: %w", err)
			}
			out = append(out, source{name: stdinName, data: data})
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
		if !fi.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, unwrapPathError(err))
			}
			out = append(out, source{name: p, data: data})
			continue
		}
		files, err := manifestFiles(p, recursive, note)
		if err != nil {
			return nil, err
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, unwrapPathError(err))
			}
			out = append(out, source{name: name, data: data})
		}
	}
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// manifestFiles lists the manifest files of dir, sorted by path.
func manifestFiles(dir string, recursive bool, note func(string)) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", full, unwrapPathError(err))
		}
		if full == dir {
			return nil
		}
		name := d.Name()
		if ignoredName(name) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if !recursive {
				if note != nil {
					note(fmt.Sprintf("skipping sub-folder %s (use -R to include sub-folders)", full))
				}
				return filepath.SkipDir
			}
			return nil
		}
		if !isManifestName(name) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(full)
			if err != nil || !fi.Mode().IsRegular() {
				return nil // dangling link or a link to a folder
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		out = append(out, full)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// ignoredName reports hidden names and editor temporary or swap files (the
// rules of controlplane/store/localdir).
func ignoredName(name string) bool {
	switch {
	case name == "" || strings.HasPrefix(name, "."):
		return true
	case name == "4913": // vim's write test file
		return true
	case strings.HasSuffix(name, "~"), strings.HasSuffix(name, ".swp"),
		strings.HasSuffix(name, ".swx"), strings.HasSuffix(name, ".tmp"):
		return true
	case len(name) > 1 && strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"):
		return true
	}
	return false
}

// decodedSource is a source with its documents decoded and validated
// locally (v1alpha1.Load: the same rules the server applies).
type decodedSource struct {
	source
	docs []v1alpha1.Decoded
}

func loadSources(srcs []source) []decodedSource {
	out := make([]decodedSource, len(srcs))
	for i, s := range srcs {
		out[i] = decodedSource{source: s, docs: v1alpha1.Load(s.name, s.data)}
	}
	return out
}

// kindName renders "endpoint/my-chat", as kubectl does.
func kindName(kind, name string) string {
	return strings.ToLower(kind) + "/" + name
}

// parseKind maps what users type to a kind: endpoints, endpoint, ep, eps;
// apikeys, apikey, key, keys (any case).
func parseKind(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "endpoints", "endpoint", "ep", "eps":
		return v1alpha1.KindEndpoint, true
	case "apikeys", "apikey", "key", "keys":
		return v1alpha1.KindAPIKey, true
	}
	return "", false
}

// ref is a kind and a name.
type ref struct{ kind, name string }

// parseRefs reads "TYPE NAME..." or "TYPE/NAME ..." arguments. With
// allowNoName, "TYPE" alone means every object of the type (name "").
func parseRefs(args []string, allowNoName bool) ([]ref, error) {
	if len(args) == 0 {
		return nil, usagef("want a resource type (endpoints or apikeys)")
	}
	if strings.Contains(args[0], "/") {
		var out []ref
		for _, a := range args {
			t, n, ok := strings.Cut(a, "/")
			kind, kok := parseKind(t)
			if !ok || !kok || n == "" {
				return nil, usagef("%q: want TYPE/NAME, such as endpoint/my-chat", a)
			}
			out = append(out, ref{kind, n})
		}
		return out, nil
	}
	kind, ok := parseKind(args[0])
	if !ok {
		return nil, usagef("unknown resource type %q: want endpoints (ep) or apikeys (key)", args[0])
	}
	if len(args) == 1 {
		if !allowNoName {
			return nil, usagef("want a name after %q", args[0])
		}
		return []ref{{kind, ""}}, nil
	}
	var out []ref
	for _, n := range args[1:] {
		if strings.Contains(n, "/") {
			return nil, usagef("%q: give either TYPE NAME... or TYPE/NAME...", n)
		}
		out = append(out, ref{kind, n})
	}
	return out, nil
}
