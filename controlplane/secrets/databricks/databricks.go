// Package databricks is a secrets.Store over Databricks secret scopes. A
// secretRef's scope is a Databricks secret scope and its key a secret key;
// gatewayd's --secret-scope is only where write-only values go by default
// (controller.Options.SecretScope), as with the local store.
//
// Values never appear in an error or a log line: errors name the scope and
// key only, and an error text that echoes the value is withheld.
package databricks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/ai-gateway/gateway/controlplane/internal/dbx"
	"github.com/ai-gateway/gateway/controlplane/secrets"
)

// MaxValue is the largest value a Databricks secret holds (128 KB).
const MaxValue = 128 << 10

// nameRE is the documented charset of secret keys: at most 128 letters,
// digits, '-', '_' and '.'. Scope names also allow '@'.
var (
	keyRE   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
	scopeRE = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,128}$`)
)

// API is the part of the secrets API the store uses; *dbx.Client implements
// it (and, in tests, dbxfake.SDKSecrets over the real SDK). Errors are
// *dbx.APIError for the service's answers.
type API interface {
	GetSecret(ctx context.Context, scope, key string) ([]byte, error)
	PutSecret(ctx context.Context, scope, key, value string) error
	DeleteSecret(ctx context.Context, scope, key string) error
	ListSecrets(ctx context.Context, scope string) ([]dbx.SecretMetadata, error)
}

var _ API = (*dbx.Client)(nil)

// Options configure a Store.
type Options struct {
	// CallTimeout bounds each API call, retries included; zero means dbx.CallTimeout.
	CallTimeout time.Duration
	// Logger receives the client's retry lines; nil means slog.Default().
	Logger *slog.Logger
}

// Store reads and writes Databricks secrets. It is safe for concurrent use.
type Store struct {
	api     API
	timeout time.Duration
	log     *slog.Logger
}

var _ secrets.Store = (*Store)(nil)

// New returns a Store; it makes no call (see CheckScope).
func New(api API, opts Options) *Store {
	s := &Store{api: api, timeout: opts.CallTimeout, log: opts.Logger}
	if s.timeout <= 0 {
		s.timeout = dbx.CallTimeout
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("store", "databricks-secrets")
	return s
}

// ValidScope reports whether scope is a valid secret scope name.
func ValidScope(scope string) error {
	if !scopeRE.MatchString(scope) {
		return fmt.Errorf("invalid secret scope %q: must be at most 128 letters, digits, '-', '_', '.' and '@'", scope)
	}
	return nil
}

// CheckScope makes sure scope exists and this principal may list it, so that
// a typo or a missing grant shows at startup rather than on the first write.
func (s *Store) CheckScope(ctx context.Context, scope string) error {
	if err := ValidScope(scope); err != nil {
		return err
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.api.ListSecrets(ctx, scope)
	if dbx.IsNotFound(err) {
		return fmt.Errorf("secret scope %s does not exist: create it (databricks secrets create-scope %s) and grant the gateway's principal WRITE on it", scope, scope)
	}
	if err != nil {
		return fmt.Errorf("secret scope %s: %w", scope, err)
	}
	return nil
}

// Get returns a secret's value, or an error wrapping secrets.ErrNotFound.
func (s *Store) Get(ctx context.Context, scope, key string) (string, error) {
	if err := validName(scope, key); err != nil {
		return "", err
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	value, err := s.api.GetSecret(ctx, scope, key)
	if dbx.IsNotFound(err) {
		return "", fmt.Errorf("secret %s/%s: %w", scope, key, secrets.ErrNotFound)
	}
	if dbx.IsBadRequest(err) || dbx.IsPermissionDenied(err) {
		// The API documents reading values as DBUtils-only; a workspace may
		// refuse it to some principals.
		return "", fmt.Errorf("get secret %s/%s: %w (grant the gateway's principal READ on the scope; "+
			"if reading values stays refused, give the App a secret resource and use `env:` in the APIKey)", scope, key, err)
	}
	if err != nil {
		return "", fmt.Errorf("get secret %s/%s: %w", scope, key, err)
	}
	return string(value), nil
}

// Put creates or replaces a secret.
func (s *Store) Put(ctx context.Context, scope, key, value string) error {
	if err := validName(scope, key); err != nil {
		return err
	}
	if len(value) > MaxValue {
		return fmt.Errorf("put secret %s/%s: the value has %d bytes; Databricks secrets hold at most %d", scope, key, len(value), MaxValue)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	// An empty string is a value too: the client sends string_value even then.
	if err := s.api.PutSecret(ctx, scope, key, value); err != nil {
		return fmt.Errorf("put secret %s/%s: %w", scope, key, withhold(err, value))
	}
	return nil
}

// Delete removes a secret; a missing one is not an error.
func (s *Store) Delete(ctx context.Context, scope, key string) error {
	if err := validName(scope, key); err != nil {
		return err
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	err := s.api.DeleteSecret(ctx, scope, key)
	if err != nil && !dbx.IsNotFound(err) {
		return fmt.Errorf("delete secret %s/%s: %w", scope, key, err)
	}
	return nil
}

func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(dbx.WithLogger(ctx, s.log), s.timeout)
}

func validName(scope, key string) error {
	if err := ValidScope(scope); err != nil {
		return err
	}
	if !keyRE.MatchString(key) {
		return fmt.Errorf("invalid secret key %q: must be at most 128 letters, digits, '-', '_' and '.'", key)
	}
	return nil
}

// errWithheld replaces an error whose text contains the secret value.
var errWithheld = errors.New("the error text contained the secret value and is withheld")

// withhold returns err unless its text contains value.
func withhold(err error, value string) error {
	if value != "" && strings.Contains(err.Error(), value) {
		return errWithheld
	}
	return err
}
