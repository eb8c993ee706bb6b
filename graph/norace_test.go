//go:build !race

package graph

// raceDetector reports whether the tests run under the race detector,
// which makes the code they time several times slower.
const raceDetector = false
