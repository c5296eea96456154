import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateImaging
@testable import AnnotateKit

@Suite struct VipsThumbnailerTests {
    @Test(arguments: Array(Fixtures.expectedThumbnailSizes.keys).sorted())
    func fitsTheBoxKeepingAspectAndHonouringEXIFOrientation(name: String) async throws {
        let thumbnailer = try VipsThumbnailer(spec: ThumbnailSpec())
        let thumbnail = try await thumbnailer.thumbnail(of: try Fixtures.sample(name))
        let (width, height) = try #require(Fixtures.expectedThumbnailSizes[name])
        #expect(abs(thumbnail.width - width) <= 1 && abs(thumbnail.height - height) <= 1, "\(name): \(thumbnail.width)×\(thumbnail.height)")
        // The encoded bytes say the same as the reported size.
        let header = try Vips.probe(thumbnail.data)
        #expect(header.width == thumbnail.width && header.height == thumbnail.height)
        #expect(ImageFormat(sniffing: thumbnail.data) == .jpeg)
        // Metadata is stripped: no EXIF orientation survives to rotate the thumbnail twice.
        #expect(header.orientation == 1)
    }

    @Test func exifRotatedPhotosComeOutLandscape() async throws {
        let thumbnailer = try VipsThumbnailer(spec: ThumbnailSpec())
        for name in ["rocket-launch-exif6.jpg", "sunset-exif8.jpg"] {
            let stored = try Vips.probe(try Fixtures.sample(name))
            #expect(stored.width < stored.height, "\(name) is stored portrait")
            let thumbnail = try await thumbnailer.thumbnail(of: try Fixtures.sample(name))
            #expect(thumbnail.width == 128 && thumbnail.height == 85)
        }
    }

    @Test func neverEnlargesSmallImages() async throws {
        let thumbnailer = try VipsThumbnailer(spec: ThumbnailSpec(width: 2000, height: 2000))
        let thumbnail = try await thumbnailer.thumbnail(of: try Fixtures.sample("astronaut.jpg"))
        #expect(thumbnail.width == 512 && thumbnail.height == 512)
    }

    @Test(arguments: [(CropMode.centre, ThumbnailFormat.webp), (.attention, .png), (.none, .png)])
    func cropModesAndFormats(crop: CropMode, format: ThumbnailFormat) async throws {
        let thumbnailer = try VipsThumbnailer(spec: ThumbnailSpec(width: 100, height: 50, format: format, crop: crop))
        let thumbnail = try await thumbnailer.thumbnail(of: try Fixtures.sample("dogs-window.jpg"))
        #expect(ImageFormat(sniffing: thumbnail.data)?.rawValue == format.rawValue)
        if crop == .none {
            #expect(thumbnail.height == 50 && thumbnail.width == 33)
        } else {
            #expect(thumbnail.width == 100 && thumbnail.height == 50)
        }
    }

    @Test func transparentPixelsBecomeWhiteInJPEG() async throws {
        let png = Fixtures.rgbaPNG(width: 8, height: 8, rgba: [0, 0, 0, 0])
        let jpeg = try await VipsThumbnailer(spec: ThumbnailSpec()).thumbnail(of: png)
        #expect(ImageFormat(sniffing: jpeg.data) == .jpeg)
        let pixels = try Vips.smallRGB(jpeg.data, maxSide: 8)
        #expect(pixels.bytes.allSatisfy { $0 >= 250 }, "transparent black must flatten to white, not black")
    }

    @Test func truncatedDataFailsWithAReason() async throws {
        let thumbnailer = try VipsThumbnailer(spec: ThumbnailSpec())
        let truncated = try Fixtures.truncatedJPEG()
        // The header is intact: intake accepts it…
        #expect(try Vips.probe(truncated).width == 1280)
        // …but the pixels are not there.
        await #expect(throws: ThumbnailError.self) { try await thumbnailer.thumbnail(of: truncated) }
        do {
            _ = try await thumbnailer.thumbnail(of: truncated)
        } catch {
            #expect("\(error)".hasPrefix("cannot decode the image: "))
            #expect("\(error)".lowercased().contains("premature end") || "\(error)".contains("corrupt or truncated"))
        }
    }

    @Test func garbageNeverCrashes() async throws {
        let thumbnailer = try VipsThumbnailer(spec: ThumbnailSpec())
        let jpeg = try Fixtures.sample("astronaut.jpg")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<30 {
            var bytes = [UInt8](jpeg)
            for _ in 0..<40 { bytes[Int.random(in: 2..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? await thumbnailer.thumbnail(of: Data(bytes))
        }
        for data in [Data(), Data([0xFF, 0xD8, 0xFF]), Fixtures.pngBomb(width: 0, height: 0), Data(repeating: 0, count: 100)] {
            await #expect(throws: (any Error).self) { try await thumbnailer.thumbnail(of: data) }
        }
    }

    @Test func untrustedLoadersAreBlocked() throws {
        let svg = Data("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>".utf8)
        #expect(throws: VipsError.self) { try Vips.probe(svg) }
        let ppm = Data("P6\n2 2\n255\n".utf8) + Data(repeating: 128, count: 12)
        #expect(throws: VipsError.self) { try Vips.probe(ppm) }
    }
}

@Suite struct PreviewTests {
    @Test func previewAndThumbnailComeFromOneDecodeAndThePreviewFitsItsBudget() throws {
        let photo = try Fixtures.sample("mountains-picos.jpg")
        let unconstrained = try #require(try Vips.render(photo, spec: nil, previewSide: 768, previewMaxBytes: nil).preview)
        #expect(unconstrained.count > 40_000)
        let rendering = try Vips.render(photo, spec: ThumbnailSpec(), previewSide: 768, previewMaxBytes: 40_000)
        let preview = try #require(rendering.preview)
        #expect(preview.count <= 40_000)
        let header = try Vips.probe(preview)
        // 1280×960 decoded at 1/2: the largest size the JPEG decoder gives directly within 768.
        #expect(header.width == 640 && header.height == 480)
        #expect(rendering.thumbnail?.width == 128 && rendering.thumbnail?.height == 96)
    }

    /// JPEG and WebP previews are decoded straight at a scale within the bound (no resampling
    /// pass); other formats are reduced to the bound itself. Never larger than the bound.
    @Test(arguments: [
        ("dandelions.jpg", 160, 90), ("coffee-cup.webp", 300, 200), ("cat-chelsea.png", 300, 200),
        ("sunset-exif8.jpg", 256, 170),
    ])
    func previewsFitTheirBoundAtTheDecodersScale(_ name: String, _ width: Int, _ height: Int) throws {
        let rendering = try Vips.render(try Fixtures.sample(name), spec: nil, previewSide: 300, previewMaxBytes: nil)
        let header = try Vips.probe(try #require(rendering.preview))
        #expect(header.width == width && header.height == height, "\(name): \(header.width)×\(header.height)")
        #expect(max(header.width, header.height) > 150)
    }

    /// The annotator's decode path on the hostile corpus (what upload lets through): a preview
    /// within the bound or an error, never a crash; CMYK and 16-bit originals give one, a
    /// truncated JPEG does not.
    @Test func hostileFilesGiveAPreviewOrAnError() throws {
        let refusedAtUpload: Set = [
            "bomb.png", "bomb.jpg", "bomb.webp", "many-frames.gif", "vector.svg", "document.pdf",
            "svg-named.jpg", "polyglot-html.jpg", "empty.png",
        ]
        var previewed: Set<String> = []
        for (name, data) in try HostileCorpus.files() where !refusedAtUpload.contains(name) {
            guard let preview = try? Vips.render(data, spec: ThumbnailSpec(), previewSide: 768, previewMaxBytes: nil).preview else { continue }
            let header = try Vips.probe(preview)
            #expect(max(header.width, header.height) <= 768 && header.loader?.hasPrefix("jpegload") == true, "\(name)")
            previewed.insert(name)
        }
        #expect(previewed.isSuperset(of: HostileCorpus.mustComplete), "\(previewed)")
        // A cut-off JPEG fails even when decoded at 1/2 scale (no half-grey preview is sent).
        #expect(!previewed.contains("truncated.jpg"))
    }
}
