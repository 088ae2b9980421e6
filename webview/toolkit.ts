// The one door to the webview UI toolkit. Every control the panel shows is made, read, written and listened to here,
// so that the toolkit (@vscode/webview-ui-toolkit, archived upstream) can be replaced, by @vscode-elements/elements for
// one, by editing this file alone: its imports, its tag names, its attributes and its events stay behind these
// functions. What the rest of the panel, media/panel.css and the UI tests rely on: a control keeps the id it is made
// with, a text field carries the class `text-field` and an inner <input> (in its shadow root), and a disabled
// control has the `disabled` attribute. The toolkit has no slider and no determinate progress bar: those two are the
// platform's own elements (<input type="range">, <progress>), styled from the theme in media/panel.css, so keyboard,
// pointer and screen-reader use is the platform's.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeTextField } from '@vscode/webview-ui-toolkit';
import { h } from './dom';

/** A drop-down choice: the value it stands for and the text shown. */
export type Choice = readonly [value: string, text: string];

/** Defines the toolkit's custom elements; call once, before the first control is made. */
export function defineControls(): void {
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeTextField());
}

/** A button; 'primary' for the main action of its group. */
export function button(id: string, text: string, appearance: 'primary' | 'secondary', options: { disabled?: boolean } = {}): HTMLElement {
  return h('vscode-button', { id, appearance, ...(options.disabled ? { disabled: '' } : {}) }, text);
}

/** A one-line text field, labelled, `size` characters wide. */
export function textField(id: string, label: string, value: string, size = 6): HTMLElement {
  const field = h('vscode-text-field', { id, value, size: String(size), class: 'text-field' });
  field.append(label);
  return field;
}

function options(choices: readonly Choice[], selected: string): HTMLElement[] {
  return choices.map(([value, text]) => h('vscode-option', { value, ...(value === selected ? { selected: '' } : {}) }, text));
}

/** A drop-down of `choices`, `selected` chosen. */
export function dropdown(id: string, choices: readonly Choice[], selected: string): HTMLElement {
  return h('vscode-dropdown', { id }, ...options(choices, selected));
}

/** Gives a drop-down new choices, `selected` chosen. */
export function setChoices(control: HTMLElement, choices: readonly Choice[], selected: string): void {
  control.replaceChildren(...options(choices, selected));
  setValue(control, selected);
}

/**
 * A determinate progress bar (0 to 1), labelled. It moves only when `setProgress` is called, never by itself: an
 * endless animation would take a core's share of drawing from the run it shows, on a machine with few cores.
 */
export function progressBar(id: string, label: string): HTMLElement {
  return h('progress', { id, class: 'progress-bar', max: '1', value: '0', 'aria-label': label });
}

/** Sets a progress bar's fraction done. */
export function setProgress(control: Element, fraction: number): void {
  (control as HTMLProgressElement).value = fraction;
}

/**
 * A slider over [min, max] in steps of `step`, labelled: the platform's range input, so arrow keys, Page Up/Down,
 * Home/End and screen readers work as for any slider. `valueText` is what a screen reader announces for its value.
 */
export function slider(id: string, label: string, range: { min: number; max: number; step: number; value: number }, valueText: string): HTMLInputElement {
  return h('input', { id, type: 'range', class: 'slider', min: String(range.min), max: String(range.max), step: String(range.step), value: String(range.value), 'aria-label': label, 'aria-valuetext': valueText, title: label });
}

/** Sets what a screen reader announces for a slider's value. */
export function setValueText(control: Element, text: string): void {
  control.setAttribute('aria-valuetext', text);
}

/** The value of a text field or drop-down ('' for none, or no control). */
export function valueOf(control: Element | null): string {
  return (control as { value?: string } | null)?.value ?? '';
}

/** Sets the value of a text field or drop-down. */
export function setValue(control: Element, value: string): void {
  (control as unknown as { value: string }).value = value;
}

/** Enables or disables a control. */
export function setEnabled(control: Element, enabled: boolean): void {
  if (enabled) control.removeAttribute('disabled');
  else control.setAttribute('disabled', '');
}

/** Calls `listener` when a button is pressed (by mouse or keyboard). */
export function onPress(control: Element, listener: () => void): void {
  control.addEventListener('click', listener);
}

/** Calls `listener` on every change of a slider's value while it moves (a drag, an arrow key). */
export function onInput(control: Element, listener: () => void): void {
  control.addEventListener('input', listener);
}

/**
 * Calls `listener` when a slider is let go of: the pointer that moved it is released (or cancelled). Keyboard use
 * has no release; its steps come through `onInput` only.
 */
export function onRelease(control: Element, listener: () => void): void {
  control.addEventListener('pointerup', listener);
  control.addEventListener('pointercancel', listener);
}

/** Calls `listener` when a text field's or drop-down's value is committed (Enter, leaving the field, a choice made). */
export function onCommit(control: Element, listener: () => void): void {
  control.addEventListener('change', listener);
}
