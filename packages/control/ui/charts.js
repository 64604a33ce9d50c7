// Small SVG charts built with DOM calls. Labels are text nodes, so a service or attack type name
// from the server is never parsed as markup.

const svgNamespace = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(svgNamespace, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = String(text);
  return element;
}

function chartRoot(width, height, label) {
  return svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": label,
    class: "chart",
  });
}

/** Bucket starts from `from` to `to`, every `bucketMs`, aligned as the server aligns them. */
export function bucketStarts(from, to, bucketMs) {
  const starts = [];
  for (let start = Math.floor(from / bucketMs) * bucketMs; start <= to; start += bucketMs)
    starts.push(start);
  return starts;
}

/**
 * Stacked columns over time. `series` is a list of `{ name, className, counts: Map(bucket → n) }`;
 * each column is one bucket of `buckets`, its parts stacked in series order.
 */
export function stackedColumns({ label, buckets, series, formatBucket }) {
  const width = 640;
  const height = 220;
  const left = 40;
  const bottom = 24;
  const plotHeight = height - bottom - 10;
  const totals = buckets.map((bucket) =>
    series.reduce((sum, part) => sum + (part.counts.get(bucket) ?? 0), 0),
  );
  const max = Math.max(1, ...totals);
  const step = (width - left) / Math.max(1, buckets.length);
  const root = chartRoot(width, height, label);

  root.append(svg("title", {}, label));
  root.append(
    svg("line", { x1: left, y1: 10 + plotHeight, x2: width, y2: 10 + plotHeight, class: "axis" }),
  );
  root.append(svg("text", { x: left - 6, y: 16, "text-anchor": "end", class: "tick" }, max));
  root.append(
    svg("text", { x: left - 6, y: 10 + plotHeight, "text-anchor": "end", class: "tick" }, 0),
  );

  buckets.forEach((bucket, index) => {
    let top = 10 + plotHeight;
    for (const part of series) {
      const count = part.counts.get(bucket) ?? 0;
      if (count === 0) continue;
      const barHeight = (count / max) * plotHeight;
      top -= barHeight;
      const bar = svg("rect", {
        x: left + index * step + 1,
        y: top,
        width: Math.max(1, step - 2),
        height: barHeight,
        class: part.className,
      });
      bar.append(svg("title", {}, `${formatBucket(bucket)}: ${count} ${part.name}`));
      root.append(bar);
    }
  });

  // Label the first, middle and last bucket so that the time axis stays readable.
  for (const index of new Set([0, Math.floor(buckets.length / 2), buckets.length - 1])) {
    if (buckets[index] === undefined) continue;
    // The outer labels align to the plot's edges so that they are not cut off.
    let anchor = "middle";
    let x = left + index * step + step / 2;
    if (index === 0) [anchor, x] = ["start", left];
    else if (index === buckets.length - 1) [anchor, x] = ["end", width];
    root.append(
      svg(
        "text",
        { x, y: height - 6, "text-anchor": anchor, class: "tick" },
        formatBucket(buckets[index]),
      ),
    );
  }
  return root;
}

/** Horizontal bars, one per `{ name, value }` row, longest first as given. */
export function horizontalBars({ label, rows }) {
  const rowHeight = 22;
  const width = 640;
  const labelWidth = 200;
  const height = Math.max(1, rows.length) * rowHeight + 4;
  const max = Math.max(1, ...rows.map((row) => row.value));
  const root = chartRoot(width, height, label);
  root.append(svg("title", {}, label));

  rows.forEach((row, index) => {
    const y = index * rowHeight + 2;
    const barWidth = ((width - labelWidth - 60) * row.value) / max;
    root.append(
      svg("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end", class: "label" }, row.name),
    );
    root.append(
      svg("rect", {
        x: labelWidth,
        y: y + 3,
        width: Math.max(1, barWidth),
        height: rowHeight - 6,
        class: row.className ?? "bar",
      }),
    );
    root.append(
      svg("text", { x: labelWidth + barWidth + 6, y: y + 15, class: "label" }, row.value),
    );
  });
  return root;
}

/** Draws a line over time through one count per bucket, with a dot on each bucket. */
export function line({ label, buckets, counts, formatBucket }) {
  const width = 640;
  const height = 160;
  const left = 40;
  const plotHeight = height - 34;
  const max = Math.max(1, ...buckets.map((bucket) => counts.get(bucket) ?? 0));
  const step = (width - left) / Math.max(1, buckets.length - 1);
  const root = chartRoot(width, height, label);
  root.append(svg("title", {}, label));
  root.append(
    svg("line", { x1: left, y1: 10 + plotHeight, x2: width, y2: 10 + plotHeight, class: "axis" }),
  );
  root.append(svg("text", { x: left - 6, y: 16, "text-anchor": "end", class: "tick" }, max));

  const points = buckets.map((bucket, index) => {
    const count = counts.get(bucket) ?? 0;
    return {
      bucket,
      count,
      x: left + index * step,
      y: 10 + plotHeight - (count / max) * plotHeight,
    };
  });
  root.append(
    svg("polyline", {
      points: points.map((point) => `${point.x},${point.y}`).join(" "),
      class: "trend",
    }),
  );
  for (const point of points) {
    const dot = svg("circle", { cx: point.x, cy: point.y, r: 3, class: "trend-dot" });
    dot.append(svg("title", {}, `${formatBucket(point.bucket)}: ${point.count}`));
    root.append(dot);
  }
  if (points.length > 0) {
    const first = points[0];
    const last = points[points.length - 1];
    root.append(
      svg("text", { x: first.x, y: height - 6, class: "tick" }, formatBucket(first.bucket)),
    );
    root.append(
      svg(
        "text",
        { x: last.x, y: height - 6, "text-anchor": "end", class: "tick" },
        formatBucket(last.bucket),
      ),
    );
  }
  return root;
}
