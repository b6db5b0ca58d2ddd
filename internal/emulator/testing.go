package emulator

import "testing"

// StartForTest starts a server for cfg on 127.0.0.1 with a free port and
// closes it when the test ends. It fails the test when the server cannot start.
func StartForTest(t testing.TB, cfg Config) *Server {
	t.Helper()

	s, err := New(cfg)
	if err != nil {
		t.Fatalf("Creating the Runner API emulator: %v", err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Starting the Runner API emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Closing the Runner API emulator: %v", err)
		}
	})

	return s
}
