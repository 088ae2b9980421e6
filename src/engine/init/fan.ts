/** Fan-in and fan-out of a weight tensor. */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/**
 * Fans of a weight of shape [out, in, ...kernel], as `torch.nn.init._calculate_fan_in_and_fan_out`:
 * fanIn = in·∏kernel, fanOut = out·∏kernel. A dense weight is [units, in_features]; a conv2d weight is
 * [filters, in_channels, kh, kw], so fanIn = in_channels·kh·kw and fanOut = filters·kh·kw.
 */
export function computeFans(weightShape: readonly number[]): Fans {
  if (weightShape.length < 2) {
    throw new Error(`fans need a weight with at least 2 dimensions, got shape [${weightShape.join(', ')}]`);
  }
  let receptiveField = 1;
  for (let i = 2; i < weightShape.length; i++) receptiveField *= weightShape[i];
  return { fanIn: weightShape[1] * receptiveField, fanOut: weightShape[0] * receptiveField };
}
