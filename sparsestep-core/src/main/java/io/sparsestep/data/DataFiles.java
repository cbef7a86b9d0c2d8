package io.sparsestep.data;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Finding dataset files under a user's data directory and reading them whole. */
final class DataFiles {
    private DataFiles() {
    }

    /** The data directory, checked to exist; a real dataset cannot be read without one. */
    static Path requireDataDir(String datasetId, Path dataDir, String downloadHint) {
        if (dataDir == null) {
            throw new DataException(datasetId + ": no data directory given (pass --data-dir DIR holding the "
                    + datasetId + " files; " + downloadHint + ")");
        }
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            throw new DataException(dataDir + ": data directory is a file, not a directory (pass --data-dir DIR holding the "
                    + datasetId + " files)");
        }
        if (!Files.isDirectory(dataDir)) {
            throw new DataException(dataDir + ": data directory does not exist (pass --data-dir DIR holding the "
                    + datasetId + " files)");
        }
        if (!Files.isReadable(dataDir) || !Files.isExecutable(dataDir)) {
            // its files would otherwise be reported as missing
            throw new DataException(dataDir + ": permission denied on the data directory (check its permissions: the user "
                    + "running sparsestep must be able to list and enter it)");
        }
        return dataDir;
    }

    /** {@code dataDir} itself, then each sub-folder in {@code subFolders} that exists, in order. */
    static List<Path> candidateDirs(Path dataDir, List<String> subFolders) {
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(dataDir);
        for (String sub : subFolders) {
            Path p = dataDir.resolve(sub);
            if (Files.isDirectory(p)) {
                dirs.add(p);
            }
        }
        return new ArrayList<>(dirs);
    }

    /**
     * The first directory in {@code dirs} holding all {@code files} (each given as a list of
     * accepted spellings, the first match wins), so that train and test files are never mixed
     * from two different copies. Missing everywhere: a DataException naming what was looked
     * for where.
     */
    static List<Path> findTogether(String datasetId, List<Path> dirs, List<List<String>> files, String fix) {
        for (Path dir : dirs) {
            List<Path> found = new ArrayList<>();
            for (List<String> spellings : files) {
                Path hit = firstExisting(dir, spellings);
                if (hit == null) {
                    break;
                }
                found.add(hit);
            }
            if (found.size() == files.size()) {
                return found;
            }
        }
        // Report the first file that no directory has, or (if each exists somewhere) the first
        // missing one in the most complete directory.
        for (List<String> spellings : files) {
            boolean anywhere = dirs.stream().anyMatch(d -> firstExisting(d, spellings) != null);
            if (!anywhere) {
                throw missing(datasetId, dirs, spellings, fix);
            }
        }
        throw new DataException(datasetId + ": the files " + files.stream().map(List::getFirst).collect(Collectors.joining(", "))
                + " are spread over several of " + dirs + "; they must all be in one folder (" + fix + ")");
    }

    private static Path firstExisting(Path dir, List<String> spellings) {
        for (String name : spellings) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static DataException missing(String datasetId, List<Path> dirs, List<String> spellings, String fix) {
        return new DataException(dirs.getFirst().resolve(spellings.getFirst()) + ": " + datasetId + " file not found; looked for "
                + String.join(" | ", spellings) + " in " + dirs.stream().map(Path::toString).collect(Collectors.joining(", "))
                + " (" + fix + ")");
    }

    /** The whole file; gzip data (recognised by its magic bytes, not its name) is decompressed. */
    static byte[] readMaybeGzip(Path file, String fix) {
        byte[] raw = readAll(file, fix);
        if (raw.length >= 2 && (raw[0] & 0xFF) == 0x1f && (raw[1] & 0xFF) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
                return in.readAllBytes();
            } catch (EOFException e) {
                throw DataException.inFile(file, "truncated gzip data", fix, e);
            } catch (ZipException e) {
                throw DataException.inFile(file, "corrupt gzip data: " + e.getMessage(), fix, e);
            } catch (IOException e) {
                throw DataException.inFile(file, "cannot decompress: " + e.getMessage(), fix, e);
            }
        }
        return raw;
    }

    static byte[] readAll(Path file, String fix) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw readFailure(file, e, fix);
        }
    }

    /**
     * A read error in words, with the fix that matches the cause: re-downloading does not
     * help a file the user may not read.
     */
    static DataException readFailure(Path file, IOException e, String fix) {
        if (e instanceof AccessDeniedException) {
            return DataException.inFile(file, "permission denied",
                    "check the file's permissions: the user running sparsestep must be able to read it", e);
        }
        if (e instanceof NoSuchFileException) {
            return DataException.inFile(file, "file not found (it disappeared while reading)", fix, e);
        }
        // reading a directory fails in read(), not open(): a plain IOException "Is a directory"
        if (Files.isDirectory(file)) {
            return DataException.inFile(file, "is a directory, not a data file", "move or rename it; " + fix, e);
        }
        String why = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
        return DataException.inFile(file, "cannot read: " + (why != null ? why : e.getClass().getSimpleName()), fix, e);
    }
}
