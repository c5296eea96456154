import AnnotateKit
import ArgumentParser
import Foundation

struct GalleryExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the gallery as a static site, gallery.json or gallery.csv.",
        discussion: "The HTML export is self-contained: thumbnails and originals are copied in and it opens from file:// with no network.")

    @Argument(help: ArgumentHelp("Directory to write into (created if missing).", valueName: "outdir"))
    var outdir: String

    @Option(help: ArgumentHelp("html, json or csv. [default: html]", valueName: "format"))
    var format: String = "html"

    @Option(help: ArgumentHelp("copy: copy thumbnails and originals into the output. [default: copy]", valueName: "mode"))
    var links: String = "copy"

    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        guard GalleryExporter.Format(rawValue: format) != nil else {
            throw ValidationError("--format takes html, json or csv, not \(format.debugDescription)")
        }
        guard links == "copy" else {
            throw ValidationError("--links takes copy (the only mode for file stores), not \(links.debugDescription)")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let components = try global.open()
            let output = Output(json: global.json, quiet: global.quiet)
            let exporter = GalleryExporter(metadata: components.metadata, originals: components.originals,
                                           thumbnails: components.thumbnails, logger: components.logger)
            let result = try await exporter.export(to: URL(fileURLWithPath: outdir), format: GalleryExporter.Format(rawValue: format)!)
            for key in result.missingObjects { output.message("annotate: object \(key) is missing from the store") }
            if global.json {
                await output.result(json: ["path": result.mainFile.path, "images": String(result.images)])
            } else {
                await output.result(result.mainFile.path)
            }
        }
    }
}
