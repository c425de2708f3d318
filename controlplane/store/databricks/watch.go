package databricks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ai-gateway/gateway/controlplane/store"
)

// warnEvery limits how often a lasting outage is logged at warning level.
const warnEvery = time.Minute

// Watch polls the folder every PollInterval and signals on changed (through
// store.Notify, never blocking) when the listing's paths, object ids,
// modification times or sizes differ from the previous poll; it also signals
// once at start (the caller may have listed before), when the workspace is
// reachable again after a failure, and every ResyncInterval as a safety net.
// Polling lists only: contents are downloaded by List, and only for files
// that changed.
//
// A failing poll (an outage, throttling, a permission taken away) is logged
// and polling goes on; the caller keeps serving its last good state. Watch
// returns nil when ctx ends and never returns early.
func (s *Store) Watch(ctx context.Context, changed chan<- struct{}) error {
	poll := time.NewTicker(s.poll)
	defer poll.Stop()
	resync := time.NewTicker(s.resync)
	defer resync.Stop()

	store.Notify(changed)
	var (
		last     string
		failing  bool
		lastWarn time.Time
	)
	check := func() {
		fp, err := s.fingerprint(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !failing || time.Since(lastWarn) >= warnEvery {
				s.log.Warn("polling the workspace folder failed; serving the last good configuration and retrying",
					"every", s.poll, "error", err)
				lastWarn = time.Now()
			}
			failing = true
			return
		}
		if failing {
			s.log.Info("the workspace folder is reachable again")
			failing = false
			store.Notify(changed) // a reconcile may have failed meanwhile
		} else if last != "" && fp != last {
			store.Notify(changed)
		}
		last = fp
	}
	check()
	if s.onWatching != nil {
		s.onWatching()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-resync.C:
			store.Notify(changed)
		case <-poll.C:
			check()
		}
	}
}

// fingerprint summarises the listing without downloading anything.
func (s *Store) fingerprint(ctx context.Context) (string, error) {
	files, err := s.listFiles(ctx)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%d\n", f.rel, f.info.ObjectID, f.info.ModifiedAt, f.info.Size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
