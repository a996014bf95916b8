//go:build race

package main

// raceEnabled is whether the tests run with -race: the binary the tests
// build uses the same setting, so that it reuses the test's compiled
// packages.
const raceEnabled = true
