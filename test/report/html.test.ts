import { renderReportHtml } from '../../lib/report/html';
import { ROLL } from './fixture';

describe('roll report page', () => {
  const html = renderReportHtml(ROLL);

  it('is self-contained: Chart.js inline, no external script, style, image or link', () => {
    expect(html).toContain('Chart.js v4');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    // and the page forbids fetching anything (a CSP without network sources)
    expect(html).toContain(`content="default-src 'none'; script-src 'unsafe-inline'`);
  });

  it('carries the data as JSON, and text from the run cannot close the script element', () => {
    const hostile = renderReportHtml({
      ...ROLL,
      title: '</script><script>alert(1)</script>',
      nodes: [{ label: '</script>', phases: [] }],
    });
    const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(hostile)![1]!;
    expect(JSON.parse(json).nodes[0].label).toBe('</script>');
    expect(hostile).toContain('<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(hostile.match(/<script>alert/g)).toBeNull();
  });

  it('shows the summary numbers as a table', () => {
    expect(html).toContain('<tr><th>documents lost</th><td>0</td></tr>');
  });
});
