import { windowPoolOp } from './pooling';

/** `avgpool2d`: the mean of each window (torch.nn.AvgPool2d, no padding, floor mode); backward shared equally. */
export const avgpool2d = windowPoolOp('avgpool2d', 'Average pooling over size×size windows.');
