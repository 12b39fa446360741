/// Page layout for PDF reports: blocks of known height flowed onto pages. Pure (no drawing), so pagination is
/// tested without cairo.
public enum ReportLayout {
    /// One block to place.
    public struct Block: Sendable, Equatable {
        public var height: Double
        /// Start a new page before this block if it and the next block do not both fit (section titles).
        public var keepWithNext: Bool
        /// When this block opens a page, first repeat the block at this index (a table header over continued rows).
        public var repeatsHeader: Int?

        public init(height: Double, keepWithNext: Bool = false, repeatsHeader: Int? = nil) {
            self.height = height
            self.keepWithNext = keepWithNext
            self.repeatsHeader = repeatsHeader
        }
    }

    /// Where one block (by index) is drawn on a page: the top of the block.
    public struct Placement: Sendable, Equatable {
        public var block: Int
        public var y: Double
    }

    /// Flows `blocks` onto pages whose content runs from `top` to `bottom`; the first page starts at `firstTop`.
    /// A block taller than a page gets a page of its own (and is clipped by whoever draws it).
    public static func paginate(_ blocks: [Block], firstTop: Double, top: Double, bottom: Double) -> [[Placement]] {
        var pages: [[Placement]] = [[]]
        var y = firstTop
        var index = 0
        while index < blocks.count {
            let block = blocks[index]
            var needed = block.height
            if block.keepWithNext, index + 1 < blocks.count { needed += blocks[index + 1].height }
            let pageIsFresh = pages[pages.count - 1].isEmpty
            if y + needed > bottom, !pageIsFresh {
                pages.append([])
                y = top
                if let header = block.repeatsHeader {
                    pages[pages.count - 1].append(Placement(block: header, y: y))
                    y += blocks[header].height
                }
            }
            pages[pages.count - 1].append(Placement(block: index, y: y))
            y += block.height
            index += 1
        }
        return pages
    }
}
