import Testing

@testable import AnnotateCore
@testable import AnnotateImaging

/// The render policy as values: the decoder's own shrink for the preview, the shared decode, and
/// the preview's quality steps — no libvips involved.
@Suite struct RenderPlanTests {
    func header(_ width: Int, _ height: Int, loader: String) -> ImageHeader {
        ImageHeader(width: width, height: height, pages: 1, orientation: 1, loader: loader)
    }

    @Test(arguments: [
        (3000, 768, 4), (4000, 768, 8), (6000, 768, 8), (1536, 768, 2), (1537, 768, 4), (768, 768, 1), (500, 768, 1), (100_000, 768, 8),
    ])
    func theShrinkIsTheSmallestThatBringsTheLongSideWithinTheTarget(longest: Int, side: Int, shrink: Int) {
        #expect(RenderPlan.loadShrink(longest: longest, side: side) == shrink)
        if shrink > 1 && shrink < RenderPlan.maximumShrink {
            #expect((longest + shrink - 1) / shrink <= side)
            #expect((longest + shrink / 2 - 1) / (shrink / 2) > side, "a smaller shrink would not have been enough")
            #expect((longest + shrink - 1) / shrink > side / 2, "the preview keeps at least half the side")
        }
    }

    @Test func jpegAndWebPShrinkOnLoadOthersDecodeInFull() {
        let jpeg = RenderPlan(header: header(3000, 2000, loader: "jpegload_buffer"), thumbnail: nil, previewSide: 768, previewQuality: 80)
        #expect(jpeg.preview == .jpeg(shrink: 4))
        let webp = RenderPlan(header: header(2000, 3000, loader: "webpload_buffer"), thumbnail: nil, previewSide: 768, previewQuality: 80)
        #expect(webp.preview == .webp(shrink: 4))
        let png = RenderPlan(header: header(3000, 2000, loader: "pngload_buffer"), thumbnail: nil, previewSide: 768, previewQuality: 80)
        #expect(png.preview == .full)
        let small = RenderPlan(header: header(640, 480, loader: "jpegload_buffer"), thumbnail: nil, previewSide: 768, previewQuality: 80)
        #expect(small.preview == .full)
    }

    @Test func aThumbnailInsideThePreviewSharesItsDecode() {
        let jpeg = header(4000, 3000, loader: "jpegload_buffer")
        #expect(RenderPlan(header: jpeg, thumbnail: ThumbnailSpec(), previewSide: 768, previewQuality: 80).thumbnailFromPreview)
        #expect(
            !RenderPlan(header: jpeg, thumbnail: ThumbnailSpec(width: 1024, height: 1024), previewSide: 768, previewQuality: 80)
                .thumbnailFromPreview)
        let thumbnailOnly = RenderPlan(header: nil, thumbnail: ThumbnailSpec(), previewSide: nil, previewQuality: 80)
        #expect(thumbnailOnly.preview == nil && !thumbnailOnly.thumbnailFromPreview && thumbnailOnly.previewQualities.isEmpty)
    }

    @Test func thePreviewQualityStepsDownToTheFloor() {
        #expect(RenderPlan.qualitySteps(from: 80) == [80, 65, 50, 35, 20])
        #expect(RenderPlan.qualitySteps(from: 30) == [30])
        #expect(RenderPlan.qualitySteps(from: 45) == [45, 30])
    }
}
