import AnnotateKit
import ArgumentParser

@main
struct AnnotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Upload images, annotate and thumbnail them, and browse the results.",
        discussion: """
            Images go into an object store (a local folder by default) and their records into a database \
            (SQLite by default). Each image gets two independent tasks: an annotation (caption + tags) and a \
            thumbnail. Exit status follows sysexits: 0 ok, 1 some items failed, 64 usage, 69 service \
            unavailable, 75 timed out, 78 configuration. See annotate(1).
            """,
        version: AnnotateVersion.string,
        subcommands: [Upload.self, Process.self, Status.self, GalleryExport.self, Serve.self, Lambda.self, Doctor.self]
    )

    static func main() async {
        ProcessSettings.apply()
        await main(nil)
    }
}

enum AnnotateVersion {
    static let string = "0.1.0"
}
