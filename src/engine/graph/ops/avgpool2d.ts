import { windowPoolOp } from './pooling';

/**
 * `avgpool2d`: the mean of each window (torch.nn.AvgPool2d, no padding, floor mode; with padding "same",
 * tf.nn.avg_pool2d's, the mean of the window's inputs inside); backward shared equally among them.
 */
export const avgpool2d = windowPoolOp('avgpool2d', 'Average pooling over size×size windows.');
