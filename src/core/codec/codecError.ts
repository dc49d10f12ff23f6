// A payload that cannot be encoded or parsed: a code plus the sentence in English and Chinese.
export class CodecError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly messageZh: string,
    /** 1-based position of the offending character, when there is one. */
    readonly position?: number,
  ) {
    super(message);
    this.name = 'CodecError';
  }

  localized(lang: 'en' | 'zh-cn'): string {
    return lang === 'zh-cn' ? this.messageZh : this.message;
  }
}
