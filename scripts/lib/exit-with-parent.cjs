// Preloaded into child servers (`node --require`): exits when the parent's end of stdin
// closes, so a server never outlives the test run or script that started it, even when
// that run is killed before its teardown.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
