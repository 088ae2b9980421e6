// The what-if's scale as a slider: a log scale from ×0.01 to ×100, and the scrubbing rules. While it moves, the
// prediction follows on every animation frame; a sampled run starts only when it rests (no movement for REST_MS, or the
// pointer let go), so a drag never queues runs up.
import { h } from './dom';
import { positionOf, scaleAt, SCALE_RANGE } from './scale';
import { onInput, onRelease, setValue, setValueText, slider } from './toolkit';

/** How long the slider must rest (no movement) before a sampled run starts. */
export const REST_MS = 300;

const valueText = (scale: number): string => `scale times ${scale}`;

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
  const current = (): number => scaleAt(Number(input.value));
  const commit = (): void => {
    clearTimeout(rest);
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (!moved) return;
    moved = false;
    handlers.commit(current());
  };
  onInput(input, () => {
    moved = true;
    setValueText(input, valueText(current()));
    // One prediction per animation frame at most, for where the slider is when the frame comes.
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      handlers.preview(current());
    });
    clearTimeout(rest);
    rest = setTimeout(commit, REST_MS);
  });
  onRelease(input, commit);
  return h('div', { class: 'labeled slider-field' }, h('label', { for: id }, 'Drag the scale'), input);
}

/** Moves the slider to `scale` (set elsewhere: the text field, a restored what-if) without starting anything. */
export function showScale(wrapper: HTMLElement, scale: number): void {
  const input = wrapper.querySelector('input')!;
  setValue(input, String(positionOf(scale)));
  setValueText(input, valueText(scale));
}
