import * as assert from 'node:assert/strict';
import { computeFans } from '../../../src/engine/init/fan';
import { calculateGain } from '../../../src/engine/init/gain';

suite('calculate_gain and fans (torch.nn.init)', () => {
  test('gains equal PyTorch calculate_gain', () => {
    assert.equal(calculateGain('linear'), 1);
    assert.equal(calculateGain('conv2d'), 1);
    assert.equal(calculateGain('sigmoid'), 1);
    assert.equal(calculateGain('tanh'), 5 / 3);
    assert.equal(calculateGain('relu'), Math.SQRT2);
    assert.equal(calculateGain('selu'), 0.75);
    assert.equal(calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    // kaiming_uniform_(a=√5), PyTorch's default for Linear and Conv: gain √(2/6) = √(1/3)
    assert.equal(calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
  });

  test('dense fans are [out, in] → fanIn = in, fanOut = out', () => {
    assert.deepEqual(computeFans([128, 784]), { fanIn: 784, fanOut: 128 });
  });

  test('conv fans multiply by the receptive field: in·kh·kw and out·kh·kw', () => {
    assert.deepEqual(computeFans([64, 3, 7, 7]), { fanIn: 3 * 49, fanOut: 64 * 49 });
    assert.deepEqual(computeFans([16, 8, 3, 1]), { fanIn: 24, fanOut: 48 });
  });
});
