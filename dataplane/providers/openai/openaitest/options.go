package openaitest

import "net/http"

func (s *Server) prefix() string {
	if s.PathPrefix == "" {
		return "/v1"
	}
	return s.PathPrefix
}

// authorized checks the credential where the server expects it.
func (s *Server) authorized(r *http.Request) bool {
	if s.AuthHeader != "" {
		return r.Header.Get(s.AuthHeader) == s.Key
	}
	return r.Header.Get("Authorization") == "Bearer "+s.Key
}
