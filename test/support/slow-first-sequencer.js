// Jest orders test files by their last durations, which a fresh clone (CI) lacks; then it falls back to
// file size, and a long file that starts last keeps one worker busy while the other idles. These start first.
const Sequencer = require('@jest/test-sequencer').default;

/** The longest files: the synth's processes first, beside the model-based test (one process), then the CLIs' processes, so the child processes do not all start at once. */
const SLOWEST = ['test/synth.test.ts', 'test/traffic/model.test.ts', 'test/cli/rollout-process.test.ts', 'test/cli/keys-process.test.ts'];

class SlowestFirst extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const index = SLOWEST.findIndex((file) => test.path.endsWith(file));
      return index < 0 ? SLOWEST.length : index;
    };
    // Array.prototype.sort is stable: the others keep Jest's own order.
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowestFirst;
