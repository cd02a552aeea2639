package emulator

import (
	"io"
	"net/http"
	"strings"
	"time"
)

// maxAdminBody bounds admin request bodies (100,000 instances take ~6 MB).
const maxAdminBody = 64 << 20

// serveAdmin answers the unsigned admin API under /_emulator/.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, adminPrefix)
	allow := func(methods ...string) bool {
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeJSONError(w, http.StatusMethodNotAllowed, "%s %s: method not allowed; use %s", r.Method, r.URL.Path, strings.Join(methods, " or "))
		return false
	}
	switch name {
	case "stats":
		if allow(http.MethodGet) {
			writeJSON(w, http.StatusOK, s.Stats())
		}
	case "reset":
		if allow(http.MethodPost) {
			s.ResetStats()
			writeJSON(w, http.StatusOK, s.Stats())
		}
	case "instances":
		if !allow(http.MethodPut) {
			return
		}
		body, ok := readAdminBody(w, r)
		if !ok {
			return
		}
		regions, err := parseRegionsDocument(body)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "%v", err)
			return
		}
		if err := s.setInstances("", regions); err != nil {
			writeJSONError(w, http.StatusBadRequest, "%v", placeError(body, (*fileRegions)(nil), err))
			return
		}
		counts := make(map[string]int, len(regions))
		for name, list := range regions {
			counts[name] = len(list)
		}
		writeJSON(w, http.StatusOK, map[string]any{"regions": counts})
	case "faults":
		if !allow(http.MethodGet, http.MethodPut) {
			return
		}
		if r.Method == http.MethodPut {
			body, ok := readAdminBody(w, r)
			if !ok {
				return
			}
			var f Faults
			if err := decodeDocument(body, &f); err != nil {
				writeJSONError(w, http.StatusBadRequest, "faults: %v", err)
				return
			}
			if err := s.SetFaults(f); err != nil {
				writeJSONError(w, http.StatusBadRequest, "faults: %v", err)
				return
			}
		}
		writeJSON(w, http.StatusOK, s.currentFaults())
	case "revoke":
		if allow(http.MethodPost) {
			s.RevokeTemporaryCredentials()
			writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
		}
	case "clock":
		if !allow(http.MethodGet, http.MethodPut) {
			return
		}
		if r.Method == http.MethodPut {
			body, ok := readAdminBody(w, r)
			if !ok {
				return
			}
			var c struct {
				Offset Duration `json:"offset"`
			}
			if err := decodeDocument(body, &c); err != nil {
				writeJSONError(w, http.StatusBadRequest, "clock: %v", err)
				return
			}
			s.SetClockOffset(time.Duration(c.Offset))
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"offset": Duration(s.clock.Offset()),
			"now":    s.now().UTC().Format(time.RFC3339Nano),
		})
	default:
		writeJSONError(w, http.StatusNotFound, "no admin endpoint %q; there are stats, reset, instances, faults, revoke and clock", r.URL.Path)
	}
}

func readAdminBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "cannot read the body: %v", err)
		return nil, false
	}
	if len(body) > maxAdminBody {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "the body exceeds %d bytes", maxAdminBody)
		return nil, false
	}
	return body, true
}
