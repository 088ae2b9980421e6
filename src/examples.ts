/** The walkthrough's steps and the example network each one opens (files in examples/, shipped with the extension). */
export const WALKTHROUGH_ID = 'initInspector.weightInit';

export const EXAMPLE_STEPS = [
  { id: 'zeroInit', file: 'zero-init.net.json', title: 'All-zero init and symmetry' },
  { id: 'smallRandn', file: 'tanh-0.01-randn.net.json', title: 'Small random init: 0.01·randn vanishes' },
  { id: 'largerRandn', file: 'tanh-0.05-randn.net.json', title: 'A little larger: 0.05·randn saturates' },
  { id: 'xavier', file: 'xavier-tanh.net.json', title: 'Xavier keeps tanh alive' },
  { id: 'xavierRelu', file: 'xavier-relu.net.json', title: 'Xavier under ReLU collapses' },
  { id: 'kaiming', file: 'kaiming-relu.net.json', title: 'Kaiming / MSRA for ReLU' },
  { id: 'residual', file: 'residual-kaiming.net.json', title: 'Residual networks and zero-init of the last layer' },
  { id: 'transformer', file: 'gpt2-small-unscaled.net.json', title: 'Deep transformers: scale the residual branches' },
] as const;

export type ExampleStepId = (typeof EXAMPLE_STEPS)[number]['id'];
