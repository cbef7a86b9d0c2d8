package io.sparsestep.backend;

/**
 * Argument rules of {@link Backend#wrap}, shared by every backend so memory handed in by an
 * embedding framework is refused the same way, with the same line, everywhere. They check
 * what the numbers alone can tell; whether the memory is really there is the caller's word.
 */
public final class WrapChecks {
    private WrapChecks() {}

    /**
     * A wrappable range: a non-zero, 4-byte aligned address and {@code words >= 0} whose
     * {@code 4 * words} bytes do not run past the end of the address space.
     */
    public static void range(long address, long words, String label) {
        if (address == 0) {
            throw new IllegalArgumentException("wrap '" + label + "': address is 0 (a null pointer); pass the address of memory you allocated");
        }
        if ((address & (Float.BYTES - 1)) != 0) {
            throw new IllegalArgumentException("wrap '" + label + "': address 0x" + Long.toHexString(address)
                    + " is not 4-byte aligned; float32 memory must start on a 4-byte boundary");
        }
        if (words < 0) {
            throw new IllegalArgumentException("wrap '" + label + "': words must be >= 0, got " + words);
        }
        if (words > Long.MAX_VALUE / Float.BYTES || Long.compareUnsigned(address + Float.BYTES * words, address) < 0) {
            throw new IllegalArgumentException("wrap '" + label + "': words " + words + " from address 0x" + Long.toHexString(address)
                    + " run past the end of the address space; pass the buffer's size in floats, not bytes");
        }
    }
}
