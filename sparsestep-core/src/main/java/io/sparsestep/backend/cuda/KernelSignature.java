package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.KernelArgs.Kind;

import static io.sparsestep.backend.cuda.KernelArgs.Kind.F32;
import static io.sparsestep.backend.cuda.KernelArgs.Kind.I32;
import static io.sparsestep.backend.cuda.KernelArgs.Kind.POINTER;
import static io.sparsestep.backend.cuda.KernelArgs.Kind.U64;

/**
 * The extern "C" kernels of kernels/*.cu as the Java side calls them: module, name and
 * parameter kinds (pointers and {@code unsigned long long} are 8 bytes, int and float 4).
 * A test checks these against the .entry declarations of the PTX resources.
 */
enum KernelSignature {
    GRDA_STEP("optim", "grda_step", POINTER, POINTER, POINTER, U64, F32, F32, POINTER),
    SGD_STEP("optim", "sgd_step", POINTER, POINTER, POINTER, U64, F32, F32, F32, F32, I32, I32),
    GSM_STEP("optim", "gsm_step", POINTER, POINTER, POINTER, POINTER, U64, F32, F32, F32, I32, I32),
    MASKED_SGD_STEP("optim", "masked_sgd_step", POINTER, POINTER, POINTER, POINTER, U64, F32, F32, F32, F32, I32, I32, I32),
    FILL_F32("elementwise", "fill_f32", POINTER, U64, F32),
    ADD_F32("elementwise", "add_f32", POINTER, POINTER, POINTER, U64),
    COUNT_ZEROS("elementwise", "count_zeros", POINTER, U64, POINTER),
    RELU_FORWARD("elementwise", "relu_forward", POINTER, POINTER, U64),
    RELU_BACKWARD("elementwise", "relu_backward", POINTER, POINTER, POINTER, U64),
    ADD_BIAS("elementwise", "add_bias", POINTER, POINTER, I32, I32, I32),
    BIAS_GRAD("elementwise", "bias_grad", POINTER, POINTER, I32, I32, I32),
    SOFTMAX_XENT("loss", "softmax_xent", POINTER, POINTER, I32, I32, POINTER, F32, POINTER),
    AXPY_F32("vector", "axpy_f32", F32, POINTER, POINTER, U64),
    ADD_SCALED_SIGN_F32("vector", "add_scaled_sign_f32", F32, POINTER, POINTER, U64),
    SCALE_F32("vector", "scale_f32", POINTER, U64, F32),
    DOT_PARTIALS("vector", "dot_partials", POINTER, POINTER, U64, POINTER),
    SUM_PARTIALS("vector", "sum_partials", POINTER, I32, POINTER),
    MASK_APPLY("mask", "mask_apply", POINTER, POINTER, U64),
    MASK_COUNT_KEPT("mask", "mask_count_kept", POINTER, U64, POINTER),
    MASK_FROM_MAGNITUDE("mask", "mask_from_magnitude", POINTER, U64, F32, POINTER),
    SELECT_INIT("select", "select_init", POINTER, U64),
    SELECT_HISTOGRAM("select", "select_histogram", POINTER, POINTER, POINTER, U64, POINTER, I32),
    SELECT_PICK("select", "select_pick", POINTER, I32),
    SELECT_KEEP("select", "select_keep", POINTER, POINTER, POINTER, U64, POINTER, POINTER),
    SELECT_TIE_COUNTS("select", "select_tie_counts", POINTER, POINTER, POINTER, U64, POINTER),
    SELECT_TIE_SCAN("select", "select_tie_scan", POINTER, U64),
    SELECT_KEEP_RANKED("select", "select_keep_ranked", POINTER, POINTER, POINTER, U64, POINTER, POINTER),
    MASK_DROP_STEP("mask", "mask_drop_step", POINTER, POINTER, POINTER, POINTER, U64, U64, U64, U64, F32, F32),
    GROUP_SDPRUN_STEP_SMALL("group", "group_sdprun_step_small", POINTER, POINTER, POINTER, I32, I32, I32, I32, F32, F32, POINTER, POINTER),
    GROUP_SDPRUN_STEP("group", "group_sdprun_step", POINTER, POINTER, POINTER, I32, I32, I32, I32, F32, F32, POINTER, POINTER),
    GROUP_NORMS("group", "group_norms", POINTER, I32, I32, I32, I32, I32, POINTER),
    GROUP_MASK_APPLY("group", "group_mask_apply", POINTER, POINTER, I32, I32, I32);

    private final String module;
    private final String kernel;
    private final Kind[] parameters;

    KernelSignature(String module, String kernel, Kind... parameters) {
        this.module = module;
        this.kernel = kernel;
        this.parameters = parameters;
    }

    String module() { return module; }

    /** Every PTX module (kernels/<module>.cu) some signature lives in, in declaration order. */
    static String[] modules() {
        return java.util.Arrays.stream(values()).map(KernelSignature::module).distinct().toArray(String[]::new);
    }

    String kernel() { return kernel; }

    Kind[] parameters() { return parameters.clone(); }

    /** Whether the first {@code count} of {@code kinds} are exactly these parameters (no copying: runs per launch). */
    boolean accepts(Kind[] kinds, int count) {
        if (count != parameters.length) return false;
        for (int i = 0; i < count; i++) {
            if (kinds[i] != parameters[i]) return false;
        }
        return true;
    }
}
