// Package nn is what models are built from: layers with their parameters,
// named state dicts, and the weight files (safetensors, PyTorch .pth) that
// load into them and save them.
//
// A StateDict is an ordered set of named float32 tensors plus string
// metadata, the Go twin of PyTorch's model.state_dict(). LoadWeights reads
// one from a safetensors file or a PyTorch .pth checkpoint (the torch.save
// zip format, parsed by a restricted pickle reader that only understands
// what a state dict needs and never runs code); SaveSafetensors writes one.
// LoadInto copies a state dict into a model's parameters by name and
// reports missing, unexpected and shape-mismatched tensors like PyTorch's
// load_state_dict; ApplyRenames maps checkpoint names to ours.
package nn
