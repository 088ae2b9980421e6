// The one door to the webview UI toolkit. Every control the panel shows is made, read, written and listened to here,
// so that the toolkit (@vscode/webview-ui-toolkit, archived upstream) can be replaced, by @vscode-elements/elements for
// one, by editing this file alone: its imports, its tag names, its attributes and its events stay behind these
// functions. What the rest of the panel, media/panel.css and the UI tests rely on: a control keeps the id it is made
// with, a text field carries the class `text-field` and an inner <input> (in its shadow root), and a disabled
// control has the `disabled` attribute.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeProgressRing, vsCodeTextField } from '@vscode/webview-ui-toolkit';
import { h } from './dom';

/** A drop-down choice: the value it stands for and the text shown. */
export type Choice = readonly [value: string, text: string];

/** Defines the toolkit's custom elements; call once, before the first control is made. */
export function defineControls(): void {
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeTextField(), vsCodeProgressRing());
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

/** An indeterminate progress spinner. */
export function progressRing(): HTMLElement {
  return h('vscode-progress-ring', {});
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

/** Calls `listener` when a text field's or drop-down's value is committed (Enter, leaving the field, a choice made). */
export function onCommit(control: Element, listener: () => void): void {
  control.addEventListener('change', listener);
}
