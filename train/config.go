package train

import "fmt"

// Config is the training recipe. DefaultConfig gives the reference's
// values (docs/method.md §5); the VOC example scales epochs and sizes to a
// laptop.
type Config struct {
	Epochs      int     `json:"epochs"`
	LR          float64 `json:"lr"`           // peak learning rate (OneCycle max_lr)
	Optimizer   string  `json:"optimizer"`    // "sgd" or "adamw"
	Momentum    float64 `json:"momentum"`     // SGD momentum when not cycled (0.9)
	Nesterov    bool    `json:"nesterov"`     //
	WeightDecay float64 `json:"weight_decay"` // 5e-4 (coupled L2 for SGD, decoupled for AdamW)
	NoBiasDecay bool    `json:"nbd"`          // the reference's parameter groups
	SAM         bool    `json:"sam"`          //
	SAMRho      float64 `json:"sam_rho"`      // 0.05
	SAMAdaptive bool    `json:"sam_adaptive"` //
	Schedule    string  `json:"schedule"`     // "onecycle", "cosine" or "constant"
	PctStart    float64 `json:"pct_start"`    // OneCycle warm-up fraction (0.2)
	EMADecay    float64 `json:"ema_decay"`    // 0 disables EMA (reference 0.9997 / 0.9993)
	EMAWarmup   bool    `json:"ema_warmup"`   // timm's decay warm-up, for short runs
	Patience    int     `json:"patience"`     // early stopping; 0 disables (reference 5)
	Seed        uint64  `json:"seed"`
	LogEvery    int     `json:"log_every"` // steps between JSONL step records (0: 10)
	// KeepActivations keeps every activation of the step in memory until
	// the backward has used it, instead of computing the cheap ones again
	// (batch norm with its activation, SqueezeExcitation's product; see
	// autograd.Arena.Recompute). The results are the same bits either
	// way: recomputing takes less memory and a little more time.
	KeepActivations bool `json:"keep_activations,omitempty"`
}

// DefaultConfig is the reference recipe: SGD with SAM (ρ 0.05) and no bias
// decay, weight decay 5e-4, OneCycle (pct_start 0.2), EMA 0.9997,
// early stopping with patience 5, 60 epochs.
func DefaultConfig() Config {
	return Config{
		Epochs: 60, LR: 0.007, Optimizer: "sgd", Momentum: 0.9, WeightDecay: 5e-4,
		NoBiasDecay: true, SAM: true, SAMRho: 0.05, Schedule: "onecycle", PctStart: 0.2,
		EMADecay: 0.9997, Patience: 5, Seed: 5,
	}
}

// Validate reports the first bad setting.
func (c Config) Validate() error {
	switch {
	case c.Epochs <= 0:
		return fmt.Errorf("train: epochs must be positive, got %d", c.Epochs)
	case !(c.LR > 0):
		return fmt.Errorf("train: learning rate must be positive, got %v", c.LR)
	case c.Optimizer != "sgd" && c.Optimizer != "adamw":
		return fmt.Errorf("train: unknown optimizer %q (sgd, adamw)", c.Optimizer)
	case c.Schedule != "onecycle" && c.Schedule != "cosine" && c.Schedule != "constant":
		return fmt.Errorf("train: unknown schedule %q (onecycle, cosine, constant)", c.Schedule)
	case c.EMADecay < 0 || c.EMADecay >= 1:
		return fmt.Errorf("train: EMA decay %v outside [0, 1)", c.EMADecay)
	case c.SAM && !(c.SAMRho > 0):
		return fmt.Errorf("train: SAM radius must be positive, got %v", c.SAMRho)
	case c.WeightDecay < 0:
		return fmt.Errorf("train: negative weight decay %v", c.WeightDecay)
	}
	return nil
}
