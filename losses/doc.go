// Package losses holds the multilabel training objectives: binary
// cross-entropy with logits, the asymmetric loss (ASL) of Alibaba-MIIL, and
// the angular-margin losses AM and AAM of Prokofiev & Sovrasov (2022), each
// written with log-sigmoid so nothing underflows, each gradient-checked.
package losses
