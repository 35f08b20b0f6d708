/**
 * Renders a DAG document as a standalone SVG (CLI `dag-svg` and the dashboard). Layout by dagre,
 * bottom-to-top so that launch level 0 (what everything depends on) is at the bottom and arrows
 * point from a service to what it depends on. Cycles are drawn inside a dashed launch-group box.
 * Markup is stable for tests: one `<g class="node">` per service, one `<path class="edge">` per
 * edge, one `<rect class="group">` per cyclic launch group.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { DagDocument } from './dag.js';

export interface SvgOptions {
  nodeWidth?: number;
  nodeHeight?: number;
  title?: string;
}

interface Point {
  x: number;
  y: number;
}

interface NodeBox extends Point {
  width: number;
  height: number;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const PALETTE = ['#e8f1fb', '#eaf7ec', '#fdf3e3', '#f6eafb', '#fbeaea', '#eaf8f8'];

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function renderDagSvg(dag: DagDocument, options: SvgOptions = {}): string {
  const width = options.nodeWidth ?? 150;
  const height = options.nodeHeight ?? 36;
  const g = new Graph({ multigraph: false });
  g.setGraph({ rankdir: 'BT', nodesep: 24, ranksep: 48, marginx: 20, marginy: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of dag.nodes) g.setNode(n.id, { width, height });
  for (const e of dag.edges) g.setEdge(e.from, e.to, {});
  layout(g);
  const graph = g.graph() as { width?: number; height?: number };
  const w = Math.ceil(graph.width ?? 0);
  const h = Math.ceil(graph.height ?? 0);
  const box = (id: string): NodeBox => g.node(id) as unknown as NodeBox;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
  );
  const title = options.title ?? `${dag.region} dependencies v${dag.version}`;
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
  );
  out.push(`<text x="10" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  for (const group of dag.groups.filter((x) => x.cyclic)) {
    const boxes = group.services.map(box);
    const x0 = Math.min(...boxes.map((b) => b.x - b.width / 2)) - 8;
    const y0 = Math.min(...boxes.map((b) => b.y - b.height / 2)) - 8;
    const x1 = Math.max(...boxes.map((b) => b.x + b.width / 2)) + 8;
    const y1 = Math.max(...boxes.map((b) => b.y + b.height / 2)) + 8;
    out.push(
      `<rect class="group" data-group="${escapeXml(group.id)}" x="${fmt(x0)}" y="${fmt(y0)}" width="${fmt(x1 - x0)}" height="${fmt(y1 - y0)}" rx="10" fill="none" stroke="#c0392b" stroke-dasharray="6 4"/>`,
    );
  }
  for (const e of dag.edges) {
    const label = g.edge(e.from, e.to) as { points?: Point[] } | undefined;
    const points = label?.points ?? [box(e.from), box(e.to)];
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(p.x)},${fmt(p.y)}`).join(' ');
    const stroke = e.inCycle ? '#c0392b' : '#555';
    const dash = e.kinds.length === 1 ? ' stroke-dasharray="4 3"' : '';
    out.push(
      `<path class="edge" data-from="${escapeXml(e.from)}" data-to="${escapeXml(e.to)}" d="${d}" fill="none" stroke="${stroke}" stroke-width="${fmt(1 + 2 * e.confidence)}"${dash} marker-end="url(#arrow)"><title>${escapeXml(`${e.from} → ${e.to} (${e.kinds.join(', ')}; confidence ${e.confidence.toFixed(2)})`)}</title></path>`,
    );
  }
  for (const n of dag.nodes) {
    const b = box(n.id);
    const fill = PALETTE[n.level % PALETTE.length]!;
    out.push(
      `<g class="node" data-id="${escapeXml(n.id)}" data-level="${n.level}" transform="translate(${fmt(b.x - b.width / 2)},${fmt(b.y - b.height / 2)})"><rect width="${fmt(b.width)}" height="${fmt(b.height)}" rx="6" fill="${fill}" stroke="#34495e"/><text x="${fmt(b.width / 2)}" y="${fmt(b.height / 2 + 4)}" text-anchor="middle">${escapeXml(n.id)}</text><text x="${fmt(b.width - 4)}" y="11" text-anchor="end" font-size="9" fill="#7f8c8d">L${n.level}</text></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
