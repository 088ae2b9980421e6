import { windowPoolOp } from './pooling';

/**
 * `maxpool2d`: the maximum of each window (torch.nn.MaxPool2d, no padding, floor mode; with padding "same",
 * tf.nn.max_pool2d's, the padded positions ignored); backward to the argmax.
 */
export const maxpool2d = windowPoolOp('maxpool2d', 'Max pooling over size×size windows.');
