/** The Credits page's 7-day usage chart: one bar per UTC day of credits spent (GetUsage). */
import type { UsageDay } from "@rendertrust/sdk/gen/rendertrust/v1/credit_service_pb";
import { credits } from "./api";

const WIDTH = 560;
const HEIGHT = 160;
const AXIS = 24;

export function UsageChart({ days }: { days: UsageDay[] }) {
  const spent = days.map((day) => Number(day.spent) || 0);
  const max = Math.max(1, ...spent);
  const slot = WIDTH / Math.max(1, days.length);
  const summary = days.map((day) => `${day.date}: ${credits(day.spent)} spent`).join("; ");
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT + AXIS}`} role="img" aria-label={`Credits spent per day. ${summary}`}>
        <line x1="0" x2={WIDTH} y1={HEIGHT} y2={HEIGHT} class="axis" />
        {days.map((day, i) => {
          const value = spent[i] ?? 0;
          const height = Math.round((value / max) * (HEIGHT - 20));
          const x = i * slot + slot * 0.2;
          return (
            <g key={day.date}>
              <rect x={x} y={HEIGHT - height} width={slot * 0.6} height={height} class="bar">
                <title>{`${day.date}: ${credits(day.spent)} credits spent`}</title>
              </rect>
              <text x={x + slot * 0.3} y={HEIGHT - height - 4} class="value">
                {value > 0 ? credits(day.spent) : ""}
              </text>
              <text x={x + slot * 0.3} y={HEIGHT + 16} class="label">{day.date.slice(5)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        Credits spent per day (UTC), last {days.length} days
        {spent.every((value) => value === 0) ? ": nothing spent yet." : ""}
      </figcaption>
    </figure>
  );
}
