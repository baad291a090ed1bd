// Package train runs trainings: optimizers (SGD, AdamW, SAM), learning-rate
// schedules (OneCycle, cosine), EMA of weights, early stopping, the
// learning-rate search, checkpoints and the Trainer loop. Data sets and
// loading live in package data, augmentation in package augment and
// evaluation metrics in package metrics.
package train
