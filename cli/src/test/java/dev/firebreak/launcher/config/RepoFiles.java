package dev.firebreak.launcher.config;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's root, found from the module's working directory (Maven runs tests in the module). */
final class RepoFiles {
    private RepoFiles() {
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isDirectory(dir.resolve("docs")) && Files.isDirectory(dir.resolve("cli")))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }
}
