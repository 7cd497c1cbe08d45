// samples/make/Hello.java: source of samples/Hello.class (made here, CC0).
public class Hello implements Runnable {
    static final long BIG = 0x123456789ABCDEFL;   // CONSTANT_Long: takes two pool slots
    static final double PI = 3.141592653589793;   // CONSTANT_Double: two slots
    static final float E = 2.71828f;              // CONSTANT_Float
    static final int ANSWER = 123456;             // CONSTANT_Integer
    private String greeting = "h\u00e9llo, w\u00f6rld \u0000!";  // mutf8: 2-byte NUL, non-ASCII

    public void run() {
        System.out.println(greeting + BIG + PI + E + ANSWER);
    }

    public static void main(String[] args) {
        new Hello().run();
    }
}
