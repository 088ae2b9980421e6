/** The nonlinearities `torch.nn.init.calculate_gain` accepts (conv variants folded into `conv2d`). */
export const GAIN_NONLINEARITIES = ['linear', 'conv2d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'] as const;
export type GainNonlinearity = (typeof GAIN_NONLINEARITIES)[number];

/**
 * The recommended gain for a nonlinearity, exactly as `torch.nn.init.calculate_gain(nonlinearity, param)`:
 * linear, conv and sigmoid 1; tanh 5/3; relu √2; leaky_relu √(2/(1 + a²)) with a = `param` (default 0.01);
 * selu 3/4 (self-normalizing networks).
 */
export function calculateGain(nonlinearity: GainNonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
}
