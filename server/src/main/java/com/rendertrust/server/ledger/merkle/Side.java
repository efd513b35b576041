package com.rendertrust.server.ledger.merkle;

/**
 * Which side a sibling hash sits on in an inclusion proof, as the API spells it:
 * {@code LEFT} means parent = H(0x01 || sibling || current), {@code RIGHT} means
 * parent = H(0x01 || current || sibling).
 */
public enum Side {
  LEFT("left"),
  RIGHT("right");

  private final String wireName;

  Side(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Side fromWireName(String name) {
    for (Side side : values()) {
      if (side.wireName.equals(name)) {
        return side;
      }
    }
    throw new IllegalArgumentException("direction must be \"left\" or \"right\"");
  }
}
