package io.sparsestep.data.fetch;

/**
 * One published file of a dataset: its name on the mirrors, the MD5 its publisher states
 * (what torchvision checks), and its size in bytes (for the progress bar and a first check).
 */
public record RemoteFile(String name, String md5, long bytes) {
    public RemoteFile {
        if (!md5.matches("[0-9a-f]{32}")) throw new IllegalArgumentException(name + ": an MD5 is 32 lowercase hex digits, got " + md5);
        if (bytes <= 0) throw new IllegalArgumentException(name + ": size must be positive, got " + bytes);
    }
}
