// Package train runs trainings: optimizers (SGD, AdamW, SAM), learning-rate
// schedules (OneCycle, cosine), EMA of weights, early stopping, the
// learning-rate search, checkpoints and the Trainer loop. Data sets and
// loading live in train/data, augmentation in train/augment and evaluation
// metrics in train/metrics.
package train
