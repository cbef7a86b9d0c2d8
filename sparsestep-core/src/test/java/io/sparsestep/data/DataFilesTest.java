package io.sparsestep.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** A file that cannot be read is reported by cause, with the fix for that cause. */
class DataFilesTest {
    private static final String FIX = "re-download MNIST";

    @TempDir
    Path dir;

    @Test
    void permissionDeniedSaysSoAndDoesNotSayReDownload() {
        Path f = dir.resolve("train-images-idx3-ubyte");
        String msg = DataFiles.readFailure(f, new AccessDeniedException(f.toString()), FIX).getMessage();
        assertTrue(msg.startsWith(f + ": permission denied (check the file's permissions"), msg);
        assertFalse(msg.contains("re-download") || msg.contains("Exception"), msg);
    }

    @Test
    void vanishedFileIsNotFound() {
        Path f = dir.resolve("gone");
        String msg = DataFiles.readFailure(f, new NoSuchFileException(f.toString()), FIX).getMessage();
        assertEquals(f + ": file not found (it disappeared while reading) (" + FIX + ")", msg);
    }

    @Test
    void aDirectoryIsNotADataFile() throws Exception {
        Path d = Files.createDirectory(dir.resolve("test_batch.bin"));
        DataException e = assertThrows(DataException.class, () -> DataFiles.readAll(d, FIX));
        assertTrue(e.getMessage().startsWith(d + ": is a directory, not a data file"), e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
    }

    @Test
    void anUnreadableFileOnDisk() throws Exception {
        Path f = Files.write(dir.resolve("t10k-labels-idx1-ubyte"), new byte[8]);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(f), "running as root: permissions do not apply");
        DataException e = assertThrows(DataException.class, () -> DataFiles.readAll(f, FIX));
        assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
    }

    @Test
    void dataDirThatIsAFile() throws Exception {
        Path f = Files.writeString(dir.resolve("mnist.tar"), "x");
        DataException e = assertThrows(DataException.class, () -> DataFiles.requireDataDir("mnist", f, "download it"));
        assertTrue(e.getMessage().contains("is a file, not a directory"), e.getMessage());
    }
}
