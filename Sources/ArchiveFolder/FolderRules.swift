import ArchiveModel

/// What an archive folder holds and how big its files may be.
package enum FolderRules {
    /// The file name endings a folder walk imports.
    package static let importExtensions: Set<String> = ["txt", "md", "markdown"]

    /// The most bytes an article's file can hold: its values, plus the header lines.
    package static let maxArticleFileBytes = Event.maxValueBytes + 4096
}

/// Why `export` did not write an article's file, or wrote it with a warning.
package enum ExportProblemKind: String, Sendable {
    /// Another article has the same path (concurrent moves); the lower id is written.
    case samePath = "same-path"
    /// An empty, "." or ".." part, or a NUL byte: the path would not stay inside the folder.
    case invalidPath = "invalid-path"
    /// A part longer than 255 bytes (NAME_MAX).
    case nameTooLong = "name-too-long"
    /// A file is where the path needs a folder (`x.txt` beside `x.txt/y.txt`).
    case fileInTheWay = "file-in-the-way"
    /// A folder is where the file should be.
    case folderInTheWay = "folder-in-the-way"
    /// A symbolic link on the way or at the file's place: never followed.
    case symbolicLink = "symbolic-link"
    /// A named pipe, socket or device at the file's place.
    case notRegular = "not-a-regular-file"
    /// The file there holds something the journal has never held for the article.
    case localChanges = "local-changes"
    case cannotWrite = "cannot-write"
    /// A warning only: the path differs from another article's only in case.
    case caseClash = "case-clash"
}
