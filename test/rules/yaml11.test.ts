import { parseYaml11, readYaml11, resolvePlain, stringifyYaml11 } from '../../lib/rules';

describe('YAML 1.1 as PyYAML reads it', () => {
  test.each<[string, string, unknown]>([
    ['yes', 'bool', true],
    ['On', 'bool', true],
    ['off', 'bool', false],
    ['y', 'str', 'y'],
    ['n', 'str', 'n'],
    ['0123', 'int', 83],
    ['08', 'str', '08'],
    ['1_000', 'int', 1000],
    ['190:20:30', 'int', 685230],
    ['0x1F', 'int', 31],
    ['0b101', 'int', 5],
    ['1e3', 'str', '1e3'],
    ['1.0e+3', 'float', 1000],
    ['3.', 'float', 3],
    ['.5', 'float', 0.5],
    ['.', 'str', '.'],
    ['~', 'null', null],
    ['hello world', 'str', 'hello world'],
  ])('%s resolves to %s', (text, kind, value) => {
    const r = resolvePlain(text);
    expect(r.kind).toBe(kind);
    expect(r.value).toEqual(value);
  });

  test('2001-12-14 is a timestamp', () => {
    expect(resolvePlain('2001-12-14').kind).toBe('timestamp');
  });

  test('stringify quotes strings that YAML 1.1 would read as something else, and round-trips', () => {
    const value = { a: 'yes', b: '0123', c: '1_000', d: 'on', e: '190:20:30', f: 'y', g: 12, h: 'plain' };
    const text = stringifyYaml11(value);
    expect(text).toContain('a: "yes"');
    expect(text).toContain('b: "0123"');
    expect(text).toContain('f: y\n');
    expect(readYaml11(text)).toEqual(value);
  });

  test('duplicate keys are errors (PyYAML would keep the last silently)', () => {
    expect(parseYaml11('a: 1\na: 2\n').errors.map((e) => e.code)).toEqual(['DUPLICATE_KEY']);
  });
});
