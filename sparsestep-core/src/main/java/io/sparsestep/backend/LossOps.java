package io.sparsestep.backend;

/**
 * The loss: softmax cross-entropy, with its sum, its correct count and its gradient in
 * one op. Kernels: {@code kernels/loss.cu}; the CPU twin: {@code backend.cpu.CpuLossOps}
 * over {@code backend.cpu.CpuSoftmaxCrossEntropy}.
 */
public interface LossOps extends OpFamily {
    /**
     * Softmax cross-entropy over logits [n, classes] with labels given as floats (class
     * index, exact). Writes result[0] = summed loss over the batch, result[1] = number of
     * rows whose first arg-max equals the label. When dlogits is not null, writes
     * dlogits = (softmax - onehot) * gradScale.
     */
    void softmaxCrossEntropy(Tensor logits, Tensor labels, int n, int classes,
                             Tensor dlogits, float gradScale, Tensor result);
}
