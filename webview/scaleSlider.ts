// The what-if's scale as a slider: a log scale from ×0.01 to ×100, and the scrubbing rules. While it moves, the
// prediction follows on every animation frame; a sampled run starts only when it rests (no movement for REST_MS, or the
// pointer let go), so a drag never queues runs up.
import { h } from './dom';
import { positionOf, scaleAt, SCALE_RANGE } from './scale';
import { onInput, onRelease, setValue, setValueText, slider } from './toolkit';

/** How long the slider must rest (no movement) before a sampled run starts. */
export const REST_MS = 300;

const valueText = (scale: number): string => `scale times ${scale}`;

/** How many of the slider's latest inputs and commits its trace keeps. */
const TRACE_LENGTH = 200;

/** A sampled run the slider asked for: when (performance.now(), ms), for which scale, and why. */
export interface ScrubCommit {
  at: number;
  scale: number;
  by: 'rest' | 'release';
}

/**
 * What the slider saw, written on it for tests (the rest rule checked from the page's own clock, not from the test's):
 * data-rest-ms, data-input-times (when each of its latest inputs was handled, performance.now() in ms) and
 * data-commits (its latest commits, as ScrubCommit). Keeps the last TRACE_LENGTH of each.
 */
function scrubTrace(input: HTMLElement): { input(): void; commit(scale: number, by: ScrubCommit['by']): void } {
  const inputs: number[] = [];
  const commits: ScrubCommit[] = [];
  const now = (): number => Math.round(performance.now() * 10) / 10;
  const keep = <T>(list: T[], item: T): void => {
    list.push(item);
    if (list.length > TRACE_LENGTH) list.shift();
  };
  input.dataset.restMs = String(REST_MS);
  return {
    input() {
      keep(inputs, now());
      input.dataset.inputTimes = JSON.stringify(inputs);
    },
    commit(scale, by) {
      keep(commits, { at: now(), scale, by });
      input.dataset.commits = JSON.stringify(commits);
    },
  };
}

/** What the slider asks of the panel: a prediction for a scale (while it moves), a sampled run (when it rests). */
export interface ScrubHandlers {
  preview(scale: number): void;
  commit(scale: number): void;
}

/** The scale slider, labelled, wired to `handlers` by the scrubbing rules above. */
export function scaleSlider(id: string, scale: number, handlers: ScrubHandlers): HTMLElement {
  const input = slider(id, 'Scale (drag to preview, rest to run)', { ...SCALE_RANGE, value: positionOf(scale) }, valueText(scale));
  let frame = 0;
  let rest: ReturnType<typeof setTimeout> | undefined;
  /** Whether the slider moved since its last commit (a release without a move starts nothing). */
  let moved = false;
  const trace = scrubTrace(input);
  const current = (): number => scaleAt(Number(input.value));
  const commit = (by: ScrubCommit['by']): void => {
    clearTimeout(rest);
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (!moved) return;
    moved = false;
    trace.commit(current(), by);
    handlers.commit(current());
  };
  onInput(input, () => {
    trace.input();
    moved = true;
    setValueText(input, valueText(current()));
    // One prediction per animation frame at most, for where the slider is when the frame comes.
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      handlers.preview(current());
    });
    clearTimeout(rest);
    rest = setTimeout(() => commit('rest'), REST_MS);
  });
  onRelease(input, () => commit('release'));
  return h('div', { class: 'labeled slider-field' }, h('label', { for: id }, 'Drag the scale'), input);
}

/** Moves the slider to `scale` (set elsewhere: the text field, a restored what-if) without starting anything. */
export function showScale(wrapper: HTMLElement, scale: number): void {
  const input = wrapper.querySelector('input')!;
  setValue(input, String(positionOf(scale)));
  setValueText(input, valueText(scale));
}
