import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateImaging
@testable import AnnotateKit

@Suite struct MetadataAnnotatorTests {
    let annotator: MetadataAnnotator
    init() throws { annotator = try MetadataAnnotator() }

    func annotate(_ data: Data, name: String = "x.jpg") async throws -> Annotation {
        try await annotator.annotate(AnnotationInput(data: data, filename: name, contentType: nil))
    }

    @Test func describesMeasurementsDeterministically() async throws {
        let data = try Fixtures.sample("rocket-launch-exif6.jpg")
        let first = try await annotate(data)
        let second = try await annotate(data)
        #expect(first == second)
        #expect(first.model == "metadata-v1")
        #expect(first.caption.hasPrefix("Landscape image, 640×427 pixels"))
        #expect(first.tags.first == "landscape")
        #expect(first.tags.contains("blue"))
        #expect(first.tokens == nil)
    }

    @Test func portraitAndSquare() async throws {
        #expect(try await annotate(try Fixtures.sample("dogs-window.jpg")).tags.first == "portrait")
        #expect(try await annotate(try Fixtures.sample("astronaut.jpg")).tags.first == "square")
    }

    @Test func readsCameraAndDateFromEXIF() async throws {
        let data = try Fixtures.jpegWithEXIF(make: "Canon", model: "Canon EOS 5D", date: "2024:03:01 10:20:30")
        let annotation = try await annotate(data)
        #expect(annotation.caption.contains("taken with a Canon EOS 5D on 2024-03-01"))
        #expect(annotation.tags.contains("canon eos 5d"))
        #expect(annotation.tags.contains("2024"))
    }

    @Test func namesColoursOfPlainPictures() {
        func pixels(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> RGBPixels {
            RGBPixels(width: 4, height: 4, bytes: Array(repeating: [r, g, b], count: 16).flatMap { $0 })
        }
        #expect(MetadataAnnotator.dominantColours(pixels(220, 30, 30)) == ["red"])
        #expect(MetadataAnnotator.dominantColours(pixels(30, 160, 40)) == ["green"])
        #expect(MetadataAnnotator.dominantColours(pixels(30, 60, 200)) == ["blue"])
        #expect(MetadataAnnotator.dominantColours(pixels(250, 250, 250)) == ["white"])
        #expect(MetadataAnnotator.dominantColours(pixels(5, 5, 5)) == ["black"])
        #expect(MetadataAnnotator.brightness(pixels(5, 5, 5)) == "dark")
        #expect(MetadataAnnotator.brightness(pixels(250, 250, 250)) == "bright")
    }

    @Test func undecodableImagesFailPermanentlyWithAReason() async throws {
        await #expect(throws: AnnotationError.self) { try await annotate(try Fixtures.truncatedJPEG()) }
        do {
            _ = try await annotate(try Fixtures.truncatedJPEG())
        } catch let error as AnnotationError {
            #expect(error.disposition == .permanent)
            #expect(error.reason.hasPrefix("cannot decode the image"))
        }
    }
}
