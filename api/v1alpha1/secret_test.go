package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	canary = "sk-canary-123"
	// misplaced is a credential put where it does not belong (a header, a URL):
	// Validate rejects it, and no error text may quote it.
	misplaced = "misplaced-secret-456"
)

// TestSecretValueNeverLeaks feeds documents holding a credential in spec.value
// (well-formed, with other errors, or broken in every way we could think of)
// and checks the credential never shows up in error text, Marshal output or
// formatted values.
func TestSecretValueNeverLeaks(t *testing.T) {
	head := "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: k}\n"
	inputs := map[string]string{
		"valid":               head + "spec: {provider: openai, value: " + canary + "}\n",
		"with env":            head + "spec: {provider: openai, env: X, value: " + canary + "}\n",
		"all three":           head + "spec: {provider: openai, env: X, secretRef: {scope: s, key: k}, value: " + canary + "}\n",
		"bad everything else": "apiVersion: v9\nkind: APIKey\nmetadata: {name: K_K}\nspec: {provider: Open AI, value: " + canary + ", oops: 1}\n",
		"value not a string":  head + "spec: {provider: openai, value: [" + canary + "]}\n",
		"value as object":     head + "spec: {provider: openai, value: {" + canary + ": " + canary + "}}\n",
		"value at wrong place": head + "spec: {provider: openai, value: " + canary + ", config: {value: " + misplaced + ", headers: {Authorization: Bearer " + misplaced +
			", X-Other: \"" + misplaced + "\\n\"}, baseURL: \"https://u:" + misplaced + "@h/\"}}\n",
		"duplicate value":     head + "spec:\n  provider: openai\n  value: " + canary + "\n  value: " + canary + "x\n",
		"syntax after value":  head + "spec:\n  provider: openai\n  value: " + canary + ": x\n",
		"unclosed quote":      head + "spec:\n  provider: openai\n  value: \"" + canary + "\n",
		"value as key":        head + "spec:\n  ? {value: " + canary + "}\n  : x\n",
		"value in a list key": head + "spec:\n  ? [" + canary + "]\n  : x\n",
		"unknown kind":        "apiVersion: gateway/v1alpha1\nkind: Secret\nmetadata: {name: k}\nspec: {value: " + canary + "}\n",
		"explicit int tag":    head + "spec: {provider: openai, value: !!int " + canary + "}\n",
		"explicit float tag":  head + "spec: {provider: openai, value: !!float " + canary + "}\n",
		"explicit bool tag":   head + "spec: {provider: openai, value: !!bool " + canary + "}\n",
		"explicit null tag":   head + "spec: {provider: openai, value: !!null " + canary + "}\n",
		"explicit ts tag":     head + "spec: {provider: openai, value: !!timestamp " + canary + "}\n",
		"explicit binary tag": head + "spec: {provider: openai, value: !!binary " + canary + "}\n",
		"explicit map tag":    head + "spec: {provider: openai, value: !!map " + canary + "}\n",
		"unknown anchor":      head + "spec: {provider: openai, value: *" + canary + "}\n",
		"bad tab":             head + "spec:\n\tvalue: " + canary + "\n",
		"json":                `{"apiVersion":"gateway/v1alpha1","kind":"APIKey","metadata":{"name":"k"},"spec":{"provider":"openai","value":"` + canary + `","value":"` + canary + `","x":"` + canary + `"}}`,
		"json value number":   `{"apiVersion":"gateway/v1alpha1","kind":"APIKey","metadata":{"name":"k"},"spec":{"provider":"openai","value":123}}`,
		"list":                "kind: List\nitems:\n- " + strings.ReplaceAll(head+"spec: {provider: openai, value: "+canary+"}", "\n", "\n  ") + "\n",
	}
	// The testdata files that carry the canary too.
	for _, dir := range []string{"testdata/valid", "testdata/invalid"} {
		for _, f := range caseFiles(t, dir) {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(canary)) || bytes.Contains(data, []byte(misplaced)) {
				inputs[f] = string(data)
			}
		}
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(in, "canary") && !strings.Contains(in, misplaced) && name != "json value number" {
				t.Fatalf("input lacks the canary")
			}
			for _, fn := range []func(string, []byte) []Decoded{Decode, Load} {
				for _, d := range fn("secret.yaml", []byte(in)) {
					checkNoCanary(t, d)
				}
			}
		})
	}
}

func checkNoCanary(t *testing.T, d Decoded) {
	t.Helper()
	if d.Err != nil {
		errText := d.Err.Error() + fmt.Sprintf("%v %+v %#v %s %q", d.Err, d.Err, d.Err, d.Err, d.Err)
		if strings.Contains(errText, "canary") || strings.Contains(errText, misplaced) {
			t.Errorf("error text quotes a credential: %s", errText)
		}
	}
	var texts []string
	if d.Object != nil {
		obj := d.Object
		texts = append(texts, fmt.Sprintf("%v %+v %#v %s", obj, obj, obj, obj))
		if k, ok := obj.(*APIKey); ok {
			texts = append(texts, fmt.Sprintf("%v %+v %#v %v %+v %#v %v %+v %#v %q %x", *k, *k, *k, k.Spec, k.Spec, k.Spec, k.Spec.Value, k.Spec.Value, k.Spec.Value, k.Spec.Value, k.Spec.Value))
			if k.Spec.Value != "" && k.Spec.Value.Reveal() != canary && !strings.HasPrefix(k.Spec.Value.Reveal(), canary) {
				t.Errorf("value decoded as something else")
			}
		}
		if y, err := Marshal(obj); err == nil {
			texts = append(texts, string(y))
		}
		j, _ := json.Marshal(obj)
		texts = append(texts, string(j))
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("obj", "obj", obj, "err", d.Err)
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("obj", "obj", obj)
		texts = append(texts, logged.String())
		texts = append(texts, Validate(obj).Error())
		texts = append(texts, fmt.Sprintf("%v %+v %#v", d, d, d))
	}
	for _, s := range texts {
		if strings.Contains(s, "canary") {
			t.Errorf("spec.value leaked: %s", s)
		}
	}
}

// A credential pasted as a key must not come back in an error either.
func TestUnknownKeyThatLooksLikeACredentialIsNotEchoed(t *testing.T) {
	const doc = "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: k}\nspec:\n  provider: openai\n  sk-canary-123: 1\n  wieght: 2\n"
	ds := Load("k.yaml", []byte(doc))
	if len(ds) != 1 || ds[0].Err == nil {
		t.Fatalf("want one error, got %+v", ds)
	}
	msg := ds[0].Err.Error()
	if strings.Contains(msg, "sk-canary-123") {
		t.Fatalf("credential-shaped key echoed: %s", msg)
	}
	if !strings.Contains(msg, "spec.wieght: unknown field") || !strings.Contains(msg, "spec: unknown field (a key of 13 characters") {
		t.Fatalf("unexpected message: %s", msg)
	}
}
