import * as assert from 'node:assert/strict';
import { analyzeFromExplorer, chartSeries, type UiTest, wideScreenshot } from './uiTest';

export const tests: UiTest[] = [
  {
    // The workspace's keras-cnn.json is the project's tf.keras 2.11 CNN (test/fixtures/keras/keras2-sequential-cnn.json).
    name: 'right-clicking a Keras model JSON offers Analyze Network; its panel shows its layers, and the finding selects the kernel_initializer; a squeeze-and-excitation model is drawn too',
    async run({ page, screenshot }) {
      const frame = await analyzeFromExplorer(page, 'keras-cnn.json');
      const series = await chartSeries(frame);
      // Conv2D (its ZeroPadding2D folded in), BatchNormalization, ReLU, MaxPooling2D, Conv2D, LeakyReLU,
      // AveragePooling2D, Flatten, Dropout, Dense.
      assert.equal(series.predicted.length, 10);
      assert.ok(series.sampled.every((v: number) => Number.isFinite(v)), 'the sampled run drew every layer');
      assert.match(await frame.locator('#findings').getAttribute('data-codes') ?? '', /init-activation-mismatch/);
      await wideScreenshot(page, screenshot, 'panel-keras-cnn');
      // The finding sits on the second Conv2D's "kernel_initializer": its value, lines 120 to 125 of the file, is
      // selected (the cursor at its end, after 91 characters).
      await frame.locator('.finding[data-code="init-activation-mismatch"]').click();
      await page.locator('.statusbar').getByText(/Ln 125, Col 7 \(91 selected\)/).waitFor({ timeout: 10000 });
      await screenshot('panel-keras-cnn-reveal');
      // keras-se.json (test/fixtures/keras/keras2.13-functional-squeeze-excite.json): a Functional model with a
      // squeeze-and-excitation Multiply and a Reshape of its map into 64 tokens; its leading Rescaling and
      // Normalization are left out. Its 11 layers are drawn, sampled and predicted.
      const se = await analyzeFromExplorer(page, 'keras-se.json');
      const seSeries = await chartSeries(se);
      assert.equal(seSeries.predicted.length, 11);
      assert.equal(seSeries.sampled.length, 11);
      assert.ok(seSeries.sampled.every((v: number) => Number.isFinite(v)), 'the sampled run drew every layer');
      // What the file was read as, under the status: the count as model.summary() gives it; the notes open on a click.
      assert.equal(await se.locator('#source-summary').textContent(), 'Read as se_tokens (Keras model, Functional) · 832 parameters · 3 notes');
      await se.locator('#source-summary').click();
      await se.locator('#source-notes').getByText(/preprocessing layers at the model's start \(rescale, standardize\) are left out/).waitFor({ timeout: 10000 });
      await wideScreenshot(page, screenshot, 'panel-keras-squeeze-excite');
    },
  },
];
