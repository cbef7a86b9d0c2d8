package io.sparsestep.backend.cuda;

/**
 * A row-major GEMM expressed as the column-major call cuBLAS understands.
 *
 * <p>A row-major matrix X[r,c] is, byte for byte, the column-major matrix X^T[c,r]. So the
 * row-major C[m,n] = op(A) op(B) is the column-major C^T[n,m] = op(B)^T op(A)^T, and cuBLAS
 * gets B as its first operand and A as its second, with m and n swapped:
 * <ul>
 *   <li>first operand B: stored row-major [k,n] (column-major [n,k], ld n) is already op(B)^T,
 *       so no transpose; stored [n,k] when transB (column-major [k,n], ld k) needs one;</li>
 *   <li>second operand A: stored row-major [m,k] (column-major [k,m], ld k) is op(A)^T, no
 *       transpose; stored [k,m] when transA (column-major [m,k], ld m) needs one;</li>
 *   <li>C^T is column-major [n,m] with ld n.</li>
 * </ul>
 * Fields are in cuBLAS's order: {@code cublasSgemm(transFirst, transSecond, rows, cols,
 * inner, alpha, B, ldFirst, A, ldSecond, beta, C, ldc)}.
 */
public record GemmMapping(boolean transFirst, boolean transSecond, int rows, int cols, int inner,
                          int ldFirst, int ldSecond, int ldc) {

    public static GemmMapping rowMajor(boolean transA, boolean transB, int m, int n, int k) {
        if (m <= 0 || n <= 0 || k <= 0) throw new IllegalArgumentException("gemm needs m, n, k >= 1, got " + m + ", " + n + ", " + k);
        return new GemmMapping(transB, transA, n, m, k, transB ? k : n, transA ? m : k, n);
    }
}
