import { windowPoolOp } from './pooling';

/** `maxpool2d`: the maximum of each window (torch.nn.MaxPool2d, no padding, floor mode); backward to the argmax. */
export const maxpool2d = windowPoolOp('maxpool2d', 'Max pooling over size×size windows.');
