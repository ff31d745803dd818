Feature: Storage keeps files behind the gateway
  Buckets and files through Kong at /storage/v1, checked the way upstream's self-hosted smoke test
  checks them: a file comes back byte for byte, a signed URL opens one private file without any key,
  and what is deleted is gone. Storage refuses with HTTP 400 and puts its own code in the body.

  @needs:supabase-kong @needs:supabase-storage
  Scenario: A file uploaded to a public bucket downloads with the same SHA-256
    Given a new public bucket made with the service role key
    When a 7 MiB file of random bytes "large.bin" is uploaded to it with the service role key
    Then "large.bin" downloads without a key from its public URL with the same SHA-256
    And "large.bin" downloads with the service role key with the same SHA-256

  @needs:supabase-kong @needs:supabase-storage
  Scenario: A signed URL opens one file of a private bucket without any key
    Given a new private bucket made with the service role key
    And a text file "sign-test.txt" uploaded to it with the service role key
    And a text file "other.txt" uploaded to it with the service role key
    When the service role signs a URL for "sign-test.txt" valid for 600 seconds
    Then the signed URL downloads "sign-test.txt" without any key
    When the signed URL's token is used for "other.txt"
    Then Storage refuses it with HTTP 400 and code InvalidSignature
    When "sign-test.txt" is downloaded without a key from its public URL
    Then Storage refuses it with HTTP 400 and code NoSuchBucket

  @needs:supabase-kong @needs:supabase-storage
  Scenario: A deleted file and its bucket are gone
    Given a new public bucket made with the service role key
    And a text file "gone.txt" uploaded to it with the service role key
    Then "gone.txt" downloads with the service role key with the same SHA-256
    When the service role deletes "gone.txt"
    And "gone.txt" is downloaded with the service role key
    Then Storage refuses it with HTTP 400 and code NoSuchKey
    When the service role deletes the bucket
    And the service role reads the bucket
    Then Storage refuses it with HTTP 400 and code NoSuchBucket

  @needs:supabase-kong @needs:supabase-storage
  # Kong puts no key-auth on /storage/v1: Storage itself refuses a key it did not sign (AccessDenied),
  # and a request with no key at all fails its route's header schema first (InvalidRequest).
  Scenario Outline: Storage refuses to create a bucket with <credentials>
    When a bucket is created with <credentials>
    Then Storage refuses it with HTTP 400 and code <code>

    Examples:
      | credentials               | code           |
      | a forged service role key | AccessDenied   |
      | no key                    | InvalidRequest |
