/**
 * The conversation is a tree (messages point at their parent); the screen shows one path through it.
 * Siblings are messages with the same parent; `selection` remembers which sibling is shown under each parent.
 */

export interface TreeNode {
  id: string;
  parentId: string | null;
  createdAt: string;
}

/** parent id ('' for roots) → children, oldest first. */
export type ChildrenIndex = Map<string, string[]>;

export const ROOT = '';

export function indexChildren(nodes: Iterable<TreeNode>): ChildrenIndex {
  const sorted = [...nodes].sort((a, b) =>
    a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
  );
  const index: ChildrenIndex = new Map();
  for (const n of sorted) {
    const key = n.parentId ?? ROOT;
    const list = index.get(key);
    if (list) list.push(n.id);
    else index.set(key, [n.id]);
  }
  return index;
}

/**
 * The shown path from a root to a leaf: under each parent, the selected child if any, else the newest
 * (so a new answer or edit is shown as soon as it exists).
 */
export function activePath(children: ChildrenIndex, selection: ReadonlyMap<string, string>): string[] {
  const path: string[] = [];
  const seen = new Set<string>();
  let parent = ROOT;
  for (;;) {
    const kids = children.get(parent);
    if (!kids || kids.length === 0) return path;
    const chosen = selection.get(parent);
    const next = chosen !== undefined && kids.includes(chosen) ? chosen : kids[kids.length - 1]!;
    if (seen.has(next)) return path; // a cycle in bad data must not hang the page
    seen.add(next);
    path.push(next);
    parent = next;
  }
}

export interface SiblingInfo {
  /** 1-based position among siblings. */
  index: number;
  count: number;
  prev?: string;
  next?: string;
}

export function siblingInfo(children: ChildrenIndex, id: string, parentId: string | null): SiblingInfo {
  const kids = children.get(parentId ?? ROOT) ?? [id];
  const i = Math.max(0, kids.indexOf(id));
  return { index: i + 1, count: kids.length, prev: kids[i - 1], next: kids[i + 1] };
}

/** Selection that shows `id` (and, below it, whatever was last shown there). */
export function selectSibling(
  selection: ReadonlyMap<string, string>,
  parentId: string | null,
  id: string,
): Map<string, string> {
  const next = new Map(selection);
  next.set(parentId ?? ROOT, id);
  return next;
}
