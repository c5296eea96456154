import AnnotateCore
import Foundation

/// Why an image's annotation request could not be built: its original is unreadable (transient
/// when the store may recover) or does not decode.
struct InputFailure: Error {
    let reason: String
    let transient: Bool
}

extension Pipeline {
    /// What the annotator gets for `record` when nothing else is rendered from the same decode
    /// (a batch line, a token count): the original, and the preview the annotator asks for.
    /// (A synchronous run renders the preview with the thumbnail instead, from one decode.)
    func annotationInput(for record: ImageRecord) async -> Result<AnnotationInput, InputFailure> {
        let data: Data
        do {
            data = try await originals.get(ObjectKey(record.originalKey))
        } catch {
            return .failure(InputFailure(reason: "\(error)", transient: (error as? ObjectStoreError)?.isTransient ?? true))
        }
        var preview: Data?
        if let side = annotator.previewSide {
            do {
                preview = try await thumbnailer.render(data, thumbnail: false, previewSide: side).preview
            } catch {
                return .failure(InputFailure(reason: "\(error)", transient: false))
            }
        }
        return .success(AnnotationInput(data: data, preview: preview, filename: record.filename, contentType: record.contentType))
    }
}
